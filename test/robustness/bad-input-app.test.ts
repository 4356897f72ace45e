/** Bad input matrix (see matrix.ts): the app folder and the models. */
import { describeMatrix } from "./matrix.js";

describeMatrix("app", "bad input: the app and its models");
