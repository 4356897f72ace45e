#!/usr/bin/env node
import "./heap-settings.js"; // first, and the rest of the CLI only then: see heap-settings.ts

const { runProcess } = await import("./main.js");

await runProcess("map-build", process.argv.slice(2));
