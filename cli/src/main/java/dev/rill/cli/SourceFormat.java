package dev.rill.cli;

import java.nio.file.Path;
import java.util.Locale;

/** The {@code --from} choices of {@code rill convert}. */
enum SourceFormat {
  ONNX,
  SAFETENSORS;

  /** The format a file name implies, or null if its extension says nothing. */
  static SourceFormat ofFileName(Path file) {
    String name = String.valueOf(file.getFileName()).toLowerCase(Locale.ROOT);
    if (name.endsWith(".onnx")) {
      return ONNX;
    } else if (name.endsWith(".safetensors")) {
      return SAFETENSORS;
    }
    return null;
  }
}
