package dev.rill.format;

import dev.rill.format.proto.RillModel;
import java.nio.file.Path;

/**
 * Run in its own JVM by {@link ModelWriterKillTest}: writes {@link TestModels#largeLstm} versions 1 and 2 in
 * turn over {@code args[0]} until it is killed, and prints {@code ready} after the first write.
 */
public final class ModelWriterLoop {

  private ModelWriterLoop() {}

  public static void main(String[] args) throws Exception {
    Path target = Path.of(args[0]);
    RillModel[] versions = {TestModels.largeLstm(1), TestModels.largeLstm(2)};
    for (long i = 0; ; i++) {
      ModelWriter.write(versions[(int) (i % 2)], target);
      if (i == 0) {
        System.out.println("ready");
        System.out.flush();
      }
    }
  }
}
