#!/usr/bin/env node
import "./heap-settings.js"; // first: before the rest of the CLI loads
import { runProcess } from "./main.js";

await runProcess("map-build", process.argv.slice(2));
