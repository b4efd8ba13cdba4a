package dev.rill.converter;

import dev.rill.format.ModelFormatException;
import dev.rill.format.ModelValidator;
import dev.rill.format.proto.RillModel;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** What the importers' fuzz tests share: an importer that returns a model must return a valid one. */
public final class ImportedModels {
  private ImportedModels() {}

  /** Fails the fuzz input when an importer returned a model the validator refuses. */
  public static void assertValid(RillModel model) {
    try {
      ModelValidator.validate(model);
    } catch (ModelFormatException e) {
      throw new AssertionError("the importer returned an invalid model: " + e.getMessage(), e);
    }
  }

  /** A temporary folder for one fuzz target's files, deleted when the JVM exits (if empty). */
  public static Path fuzzDirectory(String prefix) {
    try {
      Path dir = Files.createTempDirectory(prefix);
      dir.toFile().deleteOnExit();
      return dir;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
