package dev.rill.runtime;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Run in its own small-heap JVM by {@link FailedLoadTest}: loads a model file that fails with an
 * OutOfMemoryError part way through packing, {@code args[1]} times, and prints the resident set size (kB) after
 * each attempt, one line each, or {@code loaded} if a load unexpectedly succeeded.
 */
public final class FailedLoadProbe {

  private FailedLoadProbe() {}

  public static void main(String[] args) throws Exception {
    Path model = Path.of(args[0]);
    int attempts = Integer.parseInt(args[1]);
    for (int i = 0; i < attempts; i++) {
      try (Model loaded = Model.load(model)) {
        System.out.println("loaded");
        return;
      } catch (OutOfMemoryError expected) {
        // the decoded weights of the last layer do not fit the heap; the packed ones before it must be freed
      }
      System.out.println(residentKilobytes());
    }
  }

  private static long residentKilobytes() throws Exception {
    for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
      if (line.startsWith("VmRSS:")) {
        return Long.parseLong(line.replaceAll("[^0-9]", ""));
      }
    }
    throw new IllegalStateException("no VmRSS in /proc/self/status");
  }
}
