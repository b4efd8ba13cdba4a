package dev.rill.trainer.math;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The committed tile classes are exactly what their generator writes: nobody edited them by hand. */
class GeneratedTilesTest {
  private static final Path ROOT = Path.of(System.getProperty("rill.repo.root", "..")).toAbsolutePath().normalize();
  private static final Path GENERATOR = ROOT.resolve("trainer/src/test/resources/dev/rill/trainer/math/generate_tiles.py");
  private static final Path SOURCES = ROOT.resolve("trainer/src/main/java/dev/rill/trainer/math");

  @TempDir
  Path dir;

  @Test
  void regeneratingChangesNothing() throws IOException, InterruptedException {
    Process python;
    try {
      python = new ProcessBuilder("python3", GENERATOR.toString(), dir.toString(), "8", "2").redirectErrorStream(true).start();
    } catch (IOException e) {
      assumeTrue(false, "skipped: python3 is not installed (" + e.getMessage() + ")");
      return;
    }
    assumeTrue(python.waitFor(60, TimeUnit.SECONDS), "the generator did not finish");
    assertEquals(0, python.exitValue(), new String(python.getInputStream().readAllBytes()));
    for (int bits : new int[] {512, 256, 128}) {
      String name = "VectorGemm" + bits + ".java";
      assertEquals(Files.readString(dir.resolve(name)), Files.readString(SOURCES.resolve(name)),
          name + " differs from what generate_tiles.py writes: regenerate it, don't edit it");
    }
  }
}
