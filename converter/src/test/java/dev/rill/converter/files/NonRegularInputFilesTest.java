package dev.rill.converter.files;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.rill.converter.npy.Npy;
import dev.rill.converter.onnx.OnnxImporter;
import dev.rill.converter.safetensors.SafetensorsFile;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;

/**
 * The converter's file readers (ONNX, safetensors, npy) refuse a FIFO or a directory with a message that names
 * it, instead of blocking for ever in the open of a FIFO that has no writer.
 */
class NonRegularInputFilesTest {

  @TempDir Path dir;

  private Path fifo(String name) throws Exception {
    Path fifo = dir.resolve(name);
    Process mkfifo;
    try {
      mkfifo = new ProcessBuilder("mkfifo", fifo.toString()).start();
    } catch (IOException e) {
      assumeTrue(false, "no mkfifo: " + e.getMessage());
      throw e;
    }
    assumeTrue(mkfifo.waitFor(10, TimeUnit.SECONDS) && mkfifo.exitValue() == 0, "mkfifo failed");
    return fifo;
  }

  @Test
  void anOnnxModelThatIsAFifoIsRefused() throws Exception {
    Path fifo = fifo("model.onnx");
    assertRefused(fifo, "not a regular file", () -> OnnxImporter.importModel(fifo));
  }

  @Test
  void aSafetensorsFileThatIsAFifoIsRefused() throws Exception {
    Path fifo = fifo("model.safetensors");
    assertRefused(fifo, "not a regular file", () -> SafetensorsFile.open(fifo).close());
  }

  @Test
  void anNpyFileThatIsAFifoIsRefused() throws Exception {
    Path fifo = fifo("weights.npy");
    assertRefused(fifo, "not a regular file", () -> Npy.read(fifo));
  }

  @Test
  void directoriesAreRefusedWithTheirPath() {
    assertRefused(dir, "is a directory", () -> OnnxImporter.importModel(dir));
    assertRefused(dir, "is a directory", () -> SafetensorsFile.open(dir).close());
    assertRefused(dir, "is a directory", () -> Npy.read(dir));
  }

  private static void assertRefused(Path file, String fragment, Executable read) {
    IOException e = assertTimeoutPreemptively(Duration.ofSeconds(20), // a hang guard only
        () -> assertThrows(IOException.class, read));
    assertTrue(e.getMessage().contains(file.toString()) && e.getMessage().contains(fragment), e.getMessage());
  }
}
