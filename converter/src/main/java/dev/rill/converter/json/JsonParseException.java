package dev.rill.converter.json;

import java.io.IOException;

/** Malformed JSON: the message names the character offset and what was expected there. */
public final class JsonParseException extends IOException {

  private static final long serialVersionUID = 1L;

  /** Creates the exception with a message that already names the position. */
  public JsonParseException(String message) {
    super(message);
  }
}
