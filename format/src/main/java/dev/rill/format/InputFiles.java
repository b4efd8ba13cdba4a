package dev.rill.format;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Checks a file before a reader opens it: opening a FIFO blocks until a writer appears, and a device or socket
 * may never end, so readers of model and weight files accept regular files only.
 */
public final class InputFiles {

  private InputFiles() {}

  /**
   * What is wrong with reading {@code file} as a model or weight file, as a message that starts with its path,
   * or {@code null} if it is a regular file (symbolic links are followed) or does not exist (opening it then
   * reports that).
   *
   * @param file the file to read
   * @return the problem, or null
   */
  public static String notRegularFile(Path file) {
    if (Files.isRegularFile(file) || Files.notExists(file)) {
      return null;
    }
    if (Files.isDirectory(file)) {
      return file + " is a directory, not a file";
    }
    return file + " is not a regular file (a FIFO, socket or device?); only regular files are read";
  }
}
