#!/usr/bin/env node
import "../dist/cli/map-build.js";
