package dev.rill.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rill.cli.CliRun;
import dev.rill.runtime.Model;
import dev.rill.runtime.testing.SharedFixtures;
import java.io.IOException;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The bundled character model behind the README's first command: what it is, the held-out figure the README
 * states, and {@code rill demo} itself.
 */
class DemoModelTest {
  private static final Path MODEL = SharedFixtures.repoRoot().resolve("examples/moby_dick_lstm.rill");

  @Test
  void theDemoModelIsAnLstmOverTheNovelsCharacters() throws IOException {
    try (Model model = Model.load(MODEL)) {
      assertTrue(model.isTokenModel());
      assertEquals(83, model.vocabulary().size());
      assertEquals(83, model.outputSize());
      assertEquals(1, model.recurrentLayerCount());
      assertEquals("rill train charlm", model.metadata().get("producer"));
    }
  }

  @Test
  void itsHeldOutBitsPerCharacterAreAtMostTwoPointOne() {
    Path text = SharedFixtures.require("corpus/moby_dick.txt");
    CliRun eval = CliRun.of("eval", MODEL.toString(), "--text", text.toString(), "--held-out", "0.05");
    assertEquals(0, eval.exitCode(), eval::toString);
    Matcher m = Pattern.compile("^([0-9.]+) bits/char over 59,515 predictions").matcher(eval.out());
    assertTrue(m.find(), eval::toString);
    double bits = Double.parseDouble(m.group(1));
    assertTrue(bits <= 2.10, "held-out " + bits + " bits/char");
  }

  @Test
  void demoWritesTheRequestedCharactersAndTheStepLatency() {
    // ./rill passes the repository as rill.home; the in-process CLI needs it set the same way.
    System.setProperty("rill.home", SharedFixtures.repoRoot().toString());
    CliRun demo = CliRun.of("demo", "-n", "120", "--seed", "5");
    assertEquals(0, demo.exitCode(), demo::toString);
    assertTrue(demo.out().startsWith("The "), demo::toString);
    assertTrue(demo.out().codePointCount(0, demo.out().length()) >= 120, demo::toString);
    assertTrue(demo.err().contains("p99"), demo::toString);
    assertEquals(demo.out(), CliRun.of("demo", "-n", "120", "--seed", "5").out(), "the same seed gives the same text");
  }
}
