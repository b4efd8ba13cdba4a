package dev.rill.converter.onnx;

import java.io.IOException;

/**
 * An ONNX file that the importer cannot turn into a Rill model: malformed or truncated protobuf, a tensor
 * whose size or shape is wrong, external data that escapes the model's folder, an operator that Rill does not
 * run, a missing input. The message names the node, tensor or field and what is wrong.
 */
public final class OnnxImportException extends IOException {

  private static final long serialVersionUID = 1L;

  /** An import failure described by {@code message}. */
  public OnnxImportException(String message) {
    super(message);
  }

  /** An import failure described by {@code message}, caused by {@code cause}. */
  public OnnxImportException(String message, Throwable cause) {
    super(message, cause);
  }
}
