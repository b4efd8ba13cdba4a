package dev.rill.format;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link ModelReader#read(Path)} on what is not a regular model file: a FIFO is refused without opening it (an
 * open would wait for a writer for ever), a directory is reported with its path, and a file that reports size 0
 * but has content (/proc) is read, not called empty.
 */
class ModelReaderFileKindsTest {

  @TempDir Path dir;

  /** A FIFO made with mkfifo, or the test is skipped where there is none. */
  static Path fifo(Path dir) throws Exception {
    Path fifo = dir.resolve("model.fifo");
    Process mkfifo;
    try {
      mkfifo = new ProcessBuilder("mkfifo", fifo.toString()).start();
    } catch (java.io.IOException e) {
      assumeTrue(false, "no mkfifo: " + e.getMessage());
      throw e;
    }
    assumeTrue(mkfifo.waitFor(10, TimeUnit.SECONDS) && mkfifo.exitValue() == 0, "mkfifo failed");
    return fifo;
  }

  @Test
  void aFifoIsRefusedWithoutWaitingForAWriter() throws Exception {
    Path fifo = fifo(dir);
    ModelFormatException e = assertTimeoutPreemptively(Duration.ofSeconds(20), // a hang guard only
        () -> assertThrows(ModelFormatException.class, () -> new ModelReader().read(fifo)));
    assertTrue(e.getMessage().startsWith(fifo.toString()), e.getMessage());
    assertTrue(e.getMessage().contains("not a regular file"), e.getMessage());
  }

  @Test
  void aDirectoryIsReportedWithItsPath() {
    ModelFormatException e = assertThrows(ModelFormatException.class, () -> new ModelReader().read(dir));
    assertEquals(dir + " is a directory, not a file", e.getMessage());
  }

  @Test
  void aFileThatReportsNoSizeButHasContentIsRead() throws Exception {
    Path status = Path.of("/proc/self/status");
    assumeTrue(Files.isReadable(status) && Files.size(status) == 0, "needs a /proc file of reported size 0");
    ModelFormatException e = assertThrows(ModelFormatException.class, () -> new ModelReader().read(status));
    assertFalse(e.getMessage().contains("empty"), e.getMessage());
    assertTrue(e.getMessage().startsWith(status + ": not a Rill model file"), e.getMessage());
  }

  @Test
  void anEmptyFileIsStillCalledEmpty() throws Exception {
    Path empty = Files.createFile(dir.resolve("empty.rill"));
    ModelFormatException e = assertThrows(ModelFormatException.class, () -> new ModelReader().read(empty));
    assertEquals(empty + ": not a Rill model file: it is empty", e.getMessage());
  }
}
