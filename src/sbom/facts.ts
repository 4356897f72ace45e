/**
 * What a build knows about its inputs and result, as plain data: the one type the SBOM and
 * provenance writers read. The build fills it from what it already computed (base digest, the
 * wheel plan, model plans, layer entries); nothing here reads a file or the network.
 */

/** A Python distribution installed into the dependency layer. */
export interface PythonDistribution {
  /** As in METADATA (display form), e.g. `Pillow`. */
  name: string;
  version: string;
  /** The wheel file name and its sha256 (lowercase hex), as selected and verified. */
  wheel?: { filename: string; sha256: string };
  /** From METADATA: License-Expression, else the License field, Trove classifiers and License-File names. */
  license?: DistributionLicense;
  /** Where the requirement came from (`requirements.txt`, `@env pip_packages`, `numpy 1.26.4` …). */
  requestedBy: string[];
  /** The MONAI Deploy App SDK itself. */
  sdk?: boolean;
}

export interface DistributionLicense {
  expression?: string;
  text?: string;
  classifiers: string[];
  files: string[];
}

/** A file in the image, with its content hash. */
export interface ImageFile {
  /** Absolute path in the image. */
  path: string;
  sha256: string;
  size: number;
}

export interface ModelFacts {
  name: string;
  /** Path in the image that pkg.json names (a file, or the model's folder). */
  path: string;
  /** pkg.json's sha256: the contents of the model's files concatenated. */
  sha256: string;
  /** Total bytes of the model's files. */
  size: number;
  files: ImageFile[];
}

export interface BuildFacts {
  map: {
    /** Repository name, e.g. `registry.example.com/apps/seg`. */
    name: string;
    /** The full reference built, e.g. `registry.example.com/apps/seg:1.0`. */
    reference: string;
    /** The app version from the manifests. */
    version: string;
    sdkVersion: string;
    /** The image manifest digest; absent for an SBOM stored inside the image (it cannot name itself). */
    digest?: string;
  };
  base: { reference: string; digest: string };
  python: PythonDistribution[];
  models: ModelFacts[];
  /** The app folder's files as they are in the image, and the MAP's generated files. */
  appFiles: ImageFile[];
  mapFiles: ImageFile[];
  /** The app layer's diffID: one digest for the whole app tree. */
  appTreeDigest?: string;
  tool: { name: string; version: string };
  /** Seconds; every timestamp in an SBOM is this. */
  sourceDateEpoch: number;
  platform: { os: string; architecture: string; variant?: string };
}
