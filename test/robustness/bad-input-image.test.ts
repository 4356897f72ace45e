/** Bad input matrix (see matrix.ts): the tag and the base image (hand-built broken OCI layouts). */
import { describeMatrix } from "./matrix.js";

describeMatrix("image", "bad input: tag and base image");
