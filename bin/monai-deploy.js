#!/usr/bin/env node
import "../dist/cli/monai-deploy.js";
