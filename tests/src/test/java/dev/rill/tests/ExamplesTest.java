package dev.rill.tests;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rill.cli.CliRun;
import dev.rill.converter.npy.Npy;
import dev.rill.converter.npy.NpyArray;
import dev.rill.runtime.testing.SharedFixtures;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The bundled Silero VAD example that the README shows; these tests keep it honest. */
class ExamplesTest {

  private static final Path EXAMPLES = SharedFixtures.repoRoot().resolve("examples");

  @TempDir
  Path dir;

  @Test
  void runReproducesTheGoldenOutputOfTheRealModel() throws IOException {
    Path out = dir.resolve("out.npy");
    CliRun run = CliRun.of("run", EXAMPLES.resolve(ExampleFiles.MODEL).toString(),
        "--input", EXAMPLES.resolve(ExampleFiles.INPUT).toString(), "--output", out.toString());
    assertEquals(0, run.exitCode(), run::toString);
    NpyArray actual = Npy.read(out);
    NpyArray expected = Npy.read(EXAMPLES.resolve(ExampleFiles.EXPECTED));
    assertArrayEquals(new int[] {6, 128}, actual.shape());
    assertArrayEquals(expected.toFloats(), actual.toFloats(), 1e-5f);
  }

  @Test
  void committedExampleIsWhatTheDocumentedProgramMakes() throws IOException {
    Path models = SharedFixtures.require("fixtures/models");
    if (Boolean.getBoolean("rill.examples.regenerate")) {
      ExampleFiles.generate(models, EXAMPLES);
    }
    ExampleFiles.generate(models, dir);
    for (String file : new String[] {ExampleFiles.MODEL, ExampleFiles.INPUT, ExampleFiles.EXPECTED}) {
      assertTrue(Files.exists(EXAMPLES.resolve(file)), () -> "examples/" + file + " is missing: regenerate with -Drill.examples.regenerate=true");
      assertArrayEquals(Files.readAllBytes(dir.resolve(file)), Files.readAllBytes(EXAMPLES.resolve(file)),
          () -> "examples/" + file + " differs from what ExampleFiles makes: regenerate with -Drill.examples.regenerate=true");
    }
  }
}
