#!/usr/bin/env node
import { runProcess } from "./main.js";

await runProcess("map-build", process.argv.slice(2));
