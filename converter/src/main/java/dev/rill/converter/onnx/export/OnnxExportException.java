package dev.rill.converter.onnx.export;

import java.io.IOException;

/** A Rill model that cannot be expressed in ONNX; the message names the layer and the reason. */
public class OnnxExportException extends IOException {

  private static final long serialVersionUID = 1L;

  /**
   * Creates the exception.
   *
   * @param message what cannot be exported and why, naming the layer
   */
  public OnnxExportException(String message) {
    super(message);
  }
}
