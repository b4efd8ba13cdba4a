package dev.rill.converter.safetensors;

import java.io.IOException;

/** A safetensors file that is malformed or unsupported; the message names the tensor or header field and what is wrong. */
public final class SafetensorsFormatException extends IOException {

  private static final long serialVersionUID = 1L;

  /** Creates the exception with a message naming what is wrong. */
  public SafetensorsFormatException(String message) {
    super(message);
  }

  /** Creates the exception with a message naming what is wrong and the underlying cause. */
  public SafetensorsFormatException(String message, Throwable cause) {
    super(message, cause);
  }
}
