package dev.rill.format;

import com.google.protobuf.CodedOutputStream;
import dev.rill.format.proto.RillModel;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.SecureRandom;
import java.util.Objects;

/**
 * Validates a model and writes it atomically: to a temporary file in the target's folder, forced to disk, then
 * moved over the target in one step. A crash or kill leaves either the old file or the complete new one at the
 * target, never a partial file.
 */
public final class ModelWriter {
  private static final SecureRandom RANDOM = new SecureRandom();

  private ModelWriter() {}

  /**
   * Validates a model within {@link ReaderLimits#DEFAULT} and writes it atomically.
   *
   * @param model the model
   * @param target the file to create or replace; its folder must exist
   * @throws ModelFormatException if the model is not valid (nothing is written)
   * @throws IOException if writing fails (the target is left as it was)
   */
  public static void write(RillModel model, Path target) throws IOException {
    write(model, target, ReaderLimits.DEFAULT);
  }

  /**
   * Validates a model within the given limits (those a reader of the file will use) and writes it atomically.
   *
   * @param model the model
   * @param target the file to create or replace; its folder must exist
   * @param limits the limits the model must fit
   * @throws ModelFormatException if the model is not valid or larger than {@code limits.maxFileBytes()}
   * @throws IOException if writing fails (the target is left as it was)
   */
  public static void write(RillModel model, Path target, ReaderLimits limits) throws IOException {
    Objects.requireNonNull(target, "target");
    ModelValidator.validate(model, limits);
    long size = model.getSerializedSize();
    if (size > limits.maxFileBytes()) {
      throw new ModelFormatException("the model is " + size + " bytes, over the limit of " + limits.maxFileBytes()
          + " bytes (ReaderLimits.maxFileBytes)");
    }
    Path absolute = target.toAbsolutePath();
    Path folder = absolute.getParent();
    if (folder == null || !Files.isDirectory(folder)) {
      throw new NoSuchFileException(String.valueOf(folder), null, "cannot write " + absolute
          + ": the folder does not exist");
    }
    // Not Files.createTempFile: it makes the file owner-only (0600), and the model would keep that mode.
    Path temp = folder.resolve("." + absolute.getFileName() + "." + Long.toHexString(RANDOM.nextLong()) + ".tmp");
    try {
      try (FileChannel channel =
          FileChannel.open(temp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
        OutputStream out = Channels.newOutputStream(channel);
        CodedOutputStream coded = CodedOutputStream.newInstance(out, 1 << 16);
        model.writeTo(coded);
        coded.flush();
        channel.force(true);
      }
      try {
        Files.move(temp, absolute, StandardCopyOption.ATOMIC_MOVE);
      } catch (AtomicMoveNotSupportedException e) {
        Files.move(temp, absolute, StandardCopyOption.REPLACE_EXISTING);
      }
    } catch (IOException | RuntimeException | Error e) {
      try {
        Files.deleteIfExists(temp);
      } catch (IOException suppressed) {
        e.addSuppressed(suppressed);
      }
      throw e;
    }
    forceDirectory(folder);
  }

  // Makes the rename itself durable. Not every platform can open a folder for syncing (Windows cannot), and by
  // now the new file is complete at the target, so a failure here is not an error.
  private static void forceDirectory(Path folder) {
    try (FileChannel dir = FileChannel.open(folder, StandardOpenOption.READ)) {
      dir.force(true);
    } catch (IOException | UnsupportedOperationException e) {
      // best effort, see above
    }
  }
}
