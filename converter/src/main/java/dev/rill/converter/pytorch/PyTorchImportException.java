package dev.rill.converter.pytorch;

import java.io.IOException;

/** PyTorch weights that cannot be turned into a Rill model; the message names the module or tensor and what is wrong. */
public final class PyTorchImportException extends IOException {

  private static final long serialVersionUID = 1L;

  /** Creates the exception with a message naming what is wrong. */
  public PyTorchImportException(String message) {
    super(message);
  }
}
