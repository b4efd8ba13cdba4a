package dev.rill.format;

import dev.rill.format.proto.FormatVersion;

/**
 * Constants of the Rill file format.
 *
 * <p>Versioning: a reader accepts every file whose major version is at most {@link #MAJOR_VERSION}. A new minor
 * version only adds optional fields that older readers may ignore; a change that older readers would misread
 * raises the major version.
 */
public final class ModelFormat {
  /** The newest major format version this code reads and the one it writes. */
  public static final int MAJOR_VERSION = 1;
  /** The minor format version this code writes. */
  public static final int MINOR_VERSION = 0;
  /** The conventional file name extension of a Rill model, with its dot. */
  public static final String FILE_EXTENSION = ".rill";

  private static final FormatVersion CURRENT =
      FormatVersion.newBuilder().setMajor(MAJOR_VERSION).setMinor(MINOR_VERSION).build();

  private ModelFormat() {}

  /**
   * Returns the version this code writes.
   *
   * @return {@code MAJOR_VERSION.MINOR_VERSION} as a message
   */
  public static FormatVersion current() {
    return CURRENT;
  }
}
