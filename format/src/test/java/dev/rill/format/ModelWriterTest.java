package dev.rill.format;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.rill.format.proto.RillModel;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ModelWriterTest {
  @TempDir Path dir;

  @Test
  void writesTheSerializedModelAndNoTemporaryFile() throws IOException {
    RillModel model = TestModels.lstm();
    Path target = dir.resolve("model.rill");
    ModelWriter.write(model, target);
    assertArrayEquals(model.toByteArray(), Files.readAllBytes(target));
    assertEquals(List.of(target), files());
  }

  @Test
  void newFileGetsTheFolderDefaultPermissionsNotOwnerOnly() throws IOException {
    assumeTrue(dir.getFileSystem().supportedFileAttributeViews().contains("posix"), "POSIX permissions only");
    Path reference = Files.createFile(dir.resolve("reference"));
    Path target = dir.resolve("model.rill");
    ModelWriter.write(TestModels.lstm(), target);
    assertEquals(Files.getPosixFilePermissions(reference), Files.getPosixFilePermissions(target));
  }

  @Test
  void replacesAnExistingFileWithTheCompleteNewContent() throws IOException {
    Path target = dir.resolve("model.rill");
    ModelWriter.write(TestModels.lstm(), target);
    RillModel next = TestModels.tokens();
    ModelWriter.write(next, target);
    assertArrayEquals(next.toByteArray(), Files.readAllBytes(target));
    assertEquals(next, new ModelReader().read(target));
    assertEquals(List.of(target), files());
  }

  @Test
  void invalidModelLeavesTheTargetUntouched() throws IOException {
    Path target = Files.write(dir.resolve("model.rill"), new byte[] {1, 2, 3});
    RillModel invalid = TestModels.lstm().toBuilder().clearIo().build();
    var e = assertThrows(ModelFormatException.class, () -> ModelWriter.write(invalid, target));
    assertEquals("io: missing; a model describes what one step consumes and produces", e.getMessage());
    assertArrayEquals(new byte[] {1, 2, 3}, Files.readAllBytes(target));
    assertEquals(List.of(target), files());
  }

  @Test
  void missingFolderFailsClearlyAndCreatesNothing() throws IOException {
    Path target = dir.resolve("no/such/folder/model.rill");
    var e = assertThrows(NoSuchFileException.class, () -> ModelWriter.write(TestModels.lstm(), target));
    assertTrue(e.getMessage().contains("the folder does not exist"), e.getMessage());
    assertEquals(List.of(), files());
  }

  @Test
  void failedMoveDeletesTheTemporaryFileAndLeavesTheTargetUntouched() throws IOException {
    // A non-empty folder at the target: the temp file is written, then the move fails.
    Path target = Files.createDirectory(dir.resolve("model.rill"));
    Path inside = Files.write(target.resolve("keep"), new byte[] {7});
    assertThrows(IOException.class, () -> ModelWriter.write(TestModels.lstm(), target));
    assertTrue(Files.isDirectory(target));
    assertArrayEquals(new byte[] {7}, Files.readAllBytes(inside));
    assertEquals(List.of(target), files());
  }

  @Test
  void modelOverTheLimitsIsNotWritten() throws IOException {
    Path target = dir.resolve("model.rill");
    var e = assertThrows(ModelFormatException.class,
        () -> ModelWriter.write(TestModels.lstm(), target, ReaderLimits.DEFAULT.withMaxFileBytes(64)));
    assertTrue(e.getMessage().contains("over the limit of 64 bytes"), e.getMessage());
    assertFalse(Files.exists(target));
    assertEquals(List.of(), files());
  }

  private List<Path> files() throws IOException {
    try (Stream<Path> s = Files.list(dir)) {
      return s.sorted().toList();
    }
  }
}
