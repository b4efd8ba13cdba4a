package dev.rill.converter.npy;

import java.io.IOException;

/** A malformed or unsupported {@code .npy} file; the message says what is wrong. */
public final class NpyFormatException extends IOException {

  private static final long serialVersionUID = 1L;

  /** Creates the exception with a message naming what is wrong. */
  public NpyFormatException(String message) {
    super(message);
  }
}
