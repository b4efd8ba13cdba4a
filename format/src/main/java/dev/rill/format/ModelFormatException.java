package dev.rill.format;

import java.io.IOException;

/**
 * A model file or message is not a valid Rill model. The message names the tensor, layer or field at fault
 * and says what is wrong, for example {@code layer 'lstm0' (lstm): tensor 'lstm0.W' has shape [1, 512, 64],
 * expected [1, 512, 32]}.
 */
public class ModelFormatException extends IOException {
  private static final long serialVersionUID = 1L;

  /**
   * Creates an exception with a message that names what is wrong.
   *
   * @param message what is wrong and where
   */
  public ModelFormatException(String message) {
    super(message);
  }

  /**
   * Creates an exception with a message and the underlying cause.
   *
   * @param message what is wrong and where
   * @param cause the underlying failure, such as a protobuf parse error
   */
  public ModelFormatException(String message, Throwable cause) {
    super(message, cause);
  }
}
