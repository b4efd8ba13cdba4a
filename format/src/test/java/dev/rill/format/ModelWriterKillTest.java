package dev.rill.format;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rill.format.proto.RillModel;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link ModelWriter} under a kill and under a concurrent reader: the target always holds a complete old or new
 * model, and the temporary file a killed writer leaves behind is deleted by the next write.
 */
class ModelWriterKillTest {

  private static final int KILLS = 20;

  @TempDir Path dir;

  @Test
  void aWriterKilledAtAnyPointLeavesAWholeModelAndTheNextWriteCleansUp() throws Exception {
    Path target = dir.resolve("model.rill");
    RillModel first = TestModels.largeLstm(1);
    RillModel second = TestModels.largeLstm(2);
    ModelWriter.write(first, target);
    String java = ProcessHandle.current().info().command()
        .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    String classPath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
    Random random = new Random(17);
    int leftBehind = 0;
    for (int kill = 0; kill < KILLS; kill++) {
      Path errors = dir.resolve("writer-stderr.txt");
      Process writer = new ProcessBuilder(java, "-Xmx256m", "--sun-misc-unsafe-memory-access=allow", "-cp",
          classPath, ModelWriterLoop.class.getName(), target.toString())
          .redirectError(errors.toFile()).start();
      try {
        BufferedReader out = new BufferedReader(new InputStreamReader(writer.getInputStream(),
            StandardCharsets.UTF_8));
        String line = out.readLine(); // null if the writer ends without writing
        if (!"ready".equals(line)) {
          writer.waitFor(10, TimeUnit.SECONDS);
          throw new AssertionError("kill " + kill + ": the writer did not start: " + line + "\n"
              + Files.readString(errors));
        }
        Thread.sleep(random.nextInt(200));
      } finally {
        writer.destroyForcibly();
        assertTrue(writer.waitFor(60, TimeUnit.SECONDS), "the killed writer did not end"); // a hang guard only
      }
      RillModel found = new ModelReader().read(target); // validates: a partial file would fail here
      assertTrue(found.equals(first) || found.equals(second), "kill " + kill + ": the target holds another model");
      leftBehind += temporaries(target).size();

      ModelWriter.write(kill % 2 == 0 ? first : second, target);
      assertEquals(List.of(), temporaries(target), "kill " + kill + ": the next write left temporary files");
      assertEquals(kill % 2 == 0 ? first : second, new ModelReader().read(target));
    }
    // Not asserted (it depends on timing), but shows the cleanup had work to do.
    System.out.println("ModelWriterKillTest: " + leftBehind + " temporary files left by " + KILLS + " kills");
  }

  @Test
  void aReaderOpeningTheTargetWhileItIsReplacedSeesTheOldOrTheNewModel() throws Exception {
    Path target = dir.resolve("model.rill");
    RillModel[] versions = {TestModels.largeLstm(1), TestModels.largeLstm(2)};
    ModelWriter.write(versions[0], target);
    AtomicBoolean writing = new AtomicBoolean(true);
    AtomicReference<Throwable> writerFailure = new AtomicReference<>();
    Thread writer = new Thread(() -> {
      try {
        for (int i = 1; i <= 40; i++) {
          ModelWriter.write(versions[i % 2], target);
        }
      } catch (Throwable t) {
        writerFailure.set(t);
      } finally {
        writing.set(false);
      }
    });
    writer.start();
    int reads = 0;
    while (writing.get() || reads == 0) {
      RillModel found = new ModelReader().read(target);
      assertTrue(found.equals(versions[0]) || found.equals(versions[1]), "read " + reads + " found another model");
      reads++;
    }
    writer.join(60_000); // a hang guard only
    assertEquals(null, writerFailure.get());
    assertEquals(List.of(), temporaries(target));
  }

  @Test
  void twoWritersOfOneTargetDoNotDeleteEachOthersFiles() throws Exception {
    Path target = dir.resolve("model.rill");
    RillModel[] versions = {TestModels.largeLstm(1), TestModels.largeLstm(2)};
    AtomicReference<Throwable> failure = new AtomicReference<>();
    Thread[] writers = new Thread[2];
    for (int w = 0; w < writers.length; w++) {
      RillModel mine = versions[w];
      writers[w] = new Thread(() -> {
        try {
          for (int i = 0; i < 15; i++) {
            ModelWriter.write(mine, target);
          }
        } catch (Throwable t) {
          failure.set(t);
        }
      });
      writers[w].start();
    }
    for (Thread writer : writers) {
      writer.join(120_000); // a hang guard only
    }
    assertEquals(null, failure.get());
    RillModel found = new ModelReader().read(target);
    assertTrue(found.equals(versions[0]) || found.equals(versions[1]));
    assertEquals(List.of(), temporaries(target));
  }

  @Test
  void filesOfOtherNamesAreNotTouched() throws Exception {
    Path target = dir.resolve("model.rill");
    List<Path> others = List.of(dir.resolve(".other.rill.1a2b.tmp"), dir.resolve(".model.rill.xyz.tmp"),
        dir.resolve(".model.rill.1a2b.tmp.keep"), dir.resolve("model.rill.1a2b.tmp"));
    for (Path other : others) {
      Files.write(other, new byte[] {1});
    }
    Path stale = Files.write(dir.resolve(".model.rill.1a2b.tmp"), new byte[] {1});
    ModelWriter.write(TestModels.lstm(), target);
    assertTrue(Files.notExists(stale), "the stale temporary of the target is deleted");
    for (Path other : others) {
      assertTrue(Files.exists(other), other + " is kept");
    }
  }

  private static List<Path> temporaries(Path target) throws IOException {
    String prefix = "." + target.getFileName() + ".";
    try (Stream<Path> files = Files.list(target.getParent())) {
      return files.filter(f -> f.getFileName().toString().startsWith(prefix)
          && f.getFileName().toString().endsWith(".tmp")).toList();
    }
  }
}
