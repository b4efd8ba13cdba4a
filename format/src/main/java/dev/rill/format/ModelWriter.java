package dev.rill.format;

import com.google.protobuf.CodedOutputStream;
import dev.rill.format.proto.RillModel;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.DirectoryIteratorException;
import java.nio.file.DirectoryStream;
import java.nio.file.LinkOption;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.SecureRandom;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.LockSupport;
import java.util.regex.Pattern;

/**
 * Validates a model and writes it atomically: to a temporary file in the target's folder, forced to disk, then
 * moved over the target in one step. A crash or kill leaves either the old file or the complete new one at the
 * target, never a partial file; a reader that opens the target meanwhile reads one of the two, whole.
 *
 * <p>The temporary file is named {@code .NAME.<hex>.tmp} beside the target {@code NAME}. A process killed while
 * writing leaves it behind (as large as the model), so each write first deletes the stale temporaries of the
 * same target: files of exactly that pattern that no writer holds. A writer holds an exclusive
 * {@link FileLock} on its temporary file from just after creating it until it has been moved, and a temporary
 * file is deleted only while its deleter holds that lock, so two processes writing the same target never delete
 * each other's file in progress (a writer that finds its file deleted before it got the lock starts again with
 * a new name); writers in one JVM skip each other's files without opening them. The lock of a killed process is
 * released by the operating system. Files with other names are never touched. On file systems without working
 * locks (some network file systems) a temporary file that cannot be locked is left alone.
 */
public final class ModelWriter {
  private static final SecureRandom RANDOM = new SecureRandom();
  /** Temporary files this JVM is writing: never opened by its own cleanup (closing a channel drops its locks). */
  private static final Set<Path> WRITING = ConcurrentHashMap.newKeySet();
  /** How many times a writer starts again when another process deletes its new temporary file first. */
  private static final int CREATE_ATTEMPTS = 5;

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
    deleteStaleTemporaries(folder, absolute.getFileName().toString());
    writeLocked(model, absolute, folder);
    forceDirectory(folder);
  }

  private static void writeLocked(RillModel model, Path absolute, Path folder) throws IOException {
    for (int attempt = 1; ; attempt++) {
      // Not Files.createTempFile: it makes the file owner-only (0600), and the model would keep that mode.
      Path temp = folder.resolve("." + absolute.getFileName() + "." + Long.toHexString(RANDOM.nextLong()) + ".tmp");
      WRITING.add(temp);
      try (FileChannel channel =
          FileChannel.open(temp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
        lockWaitingForCleanup(channel, temp);
        if (!Files.exists(temp, LinkOption.NOFOLLOW_LINKS)) {
          // Another process's cleanup deleted it between its creation and our lock.
          if (attempt < CREATE_ATTEMPTS) {
            continue;
          }
          throw new IOException("cannot write " + absolute + ": its temporary file " + temp
              + " was deleted by another process " + CREATE_ATTEMPTS + " times");
        }
        try {
          OutputStream out = Channels.newOutputStream(channel);
          CodedOutputStream coded = CodedOutputStream.newInstance(out, 1 << 16);
          model.writeTo(coded);
          coded.flush();
          channel.force(true);
          // Moved while still locked, so no cleanup can take it for stale.
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
        return;
      } finally {
        WRITING.remove(temp);
      }
    }
  }

  /** Takes the exclusive lock of a new temporary file; another process's cleanup may hold it for a moment. */
  private static void lockWaitingForCleanup(FileChannel channel, Path temp) throws IOException {
    for (int wait = 0; ; wait++) {
      FileLock lock = channel.tryLock();
      if (lock != null) {
        return; // released when the channel closes, after the move
      }
      if (wait == 10_000) {
        throw new IOException("cannot lock the new temporary file " + temp + ": another process holds it");
      }
      Thread.onSpinWait();
      if (wait > 100) {
        LockSupport.parkNanos(100_000);
      }
    }
  }

  /**
   * Deletes the temporaries {@code .NAME.<hex>.tmp} of target {@code NAME} in {@code folder} that no writer holds:
   * those left by killed processes. Best effort: a file that cannot be listed, locked or deleted is left.
   */
  private static void deleteStaleTemporaries(Path folder, String name) {
    Pattern own = Pattern.compile("\\." + Pattern.quote(name) + "\\.[0-9a-f]{1,16}\\.tmp");
    try (DirectoryStream<Path> entries = Files.newDirectoryStream(folder,
        entry -> own.matcher(entry.getFileName().toString()).matches())) {
      for (Path temp : entries) {
        if (WRITING.contains(temp) || !Files.isRegularFile(temp, LinkOption.NOFOLLOW_LINKS)) {
          continue;
        }
        try (FileChannel channel = FileChannel.open(temp, StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS);
            FileLock lock = channel.tryLock()) {
          if (lock != null) {
            Files.delete(temp); // under the lock: its writer, if it has just created it, will see it is gone
          }
        } catch (IOException | OverlappingFileLockException | UnsupportedOperationException e) {
          // in use, already gone, or not lockable here: leave it
        }
      }
    } catch (IOException | DirectoryIteratorException e) {
      // best effort: a folder that cannot be listed keeps its files
    }
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
