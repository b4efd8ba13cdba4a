package dev.rill.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rill.format.ModelBuilder;
import dev.rill.format.ModelWriter;
import dev.rill.format.proto.Direction;
import dev.rill.format.proto.OutputActivation;
import dev.rill.runtime.Model;
import dev.rill.runtime.SequenceBatch;
import dev.rill.runtime.StreamingSession;
import dev.rill.trainer.LanguageModelTrainer;
import dev.rill.trainer.TextSampler;
import dev.rill.trainer.TrainingOptions;
import dev.rill.trainer.TrainingListener;
import dev.rill.trainer.data.CharCorpus;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code rill sample}, {@code rill eval} and {@code rill demo} on a tiny model that {@code rill train charlm}
 * wrote, against the same model trained in-process: the trainer's own forward pass, the runtime and the CLI must
 * tell the same story.
 */
class SampleEvalDemoCommandTest {

  @TempDir
  static Path shared;

  static Path text;
  static Path model;
  static LanguageModelTrainer trainer;
  static CharCorpus corpus;

  @TempDir
  Path dir;

  @BeforeAll
  static void trainTheSameModelThroughTheCliAndInProcess() throws IOException {
    text = shared.resolve("pangram.txt");
    Files.writeString(text, TrainCharLmCommandTest.TEXT);
    model = shared.resolve("cli.rill");
    CliRun r = TrainCharLmCommandTest.train(text, model, "--epochs", "2");
    assertEquals(0, r.exitCode(), r::toString);
    // The network object in memory holds the last epoch's weights, the file the best epoch's: they must be the same.
    assertTrue(r.out().lines().anyMatch(l -> l.startsWith("epoch 2/2") && l.contains("wrote")), r::toString);

    TrainingOptions d = TrainingOptions.defaults();
    TrainingOptions tiny = new TrainingOptions(d.cell(), 16, d.layers(), 8, d.rnnActivation(), d.peepholes(), d.dropout(), 16, 4, 2,
        d.minutes(), d.patience(), d.optimizer(), d.learningRate(), d.clipNorm(), d.clipValue(), 7, d.threads(), d.validationFraction());
    corpus = CharCorpus.read(text);
    Path inProcess = shared.resolve("in-process.rill");
    trainer = new LanguageModelTrainer(corpus, tiny, inProcess, new TrainingListener() {});
    trainer.train();
    assertArrayEquals(Files.readAllBytes(inProcess), Files.readAllBytes(model), "the CLI passes the options it was given");
  }

  private static String samplerText(TextSampler.Stepper stepper, String prime, double temperature, int n, long seed) {
    StringBuilder out = new StringBuilder();
    TextSampler.sample(stepper, corpus.vocabulary(), prime, temperature, n, seed, out::append);
    return out.toString();
  }

  private static String runtimeText(String prime, double temperature, int n, long seed) throws IOException {
    try (Model m = Model.load(model); StreamingSession session = m.newSession()) {
      float[] probabilities = new float[m.outputSize()];
      return samplerText(token -> {
        session.step(token, probabilities);
        return probabilities;
      }, prime, temperature, n, seed);
    }
  }

  @Test
  void samplePrintsWhatTextSamplerGivesOverTheRuntimeAndOverTheTrainersNetwork() throws IOException {
    CliRun r = CliRun.of("sample", model.toString(), "--prime", "The ", "-n", "200", "--seed", "5", "--temperature", "1");
    assertEquals(0, r.exitCode(), r::toString);
    String trainers = samplerText(TextSampler.of(trainer.network()), "The ", 1.0, 200, 5);
    assertEquals(200, trainers.codePointCount(0, trainers.length()));
    assertEquals(trainers, runtimeText("The ", 1.0, 200, 5));
    assertEquals("The " + trainers + "\n", r.out());
    assertTrue(r.err().matches("(?s)203 steps \\(after [0-9,]+ warm-up steps\\): median [0-9.]+ µs, p99 [0-9.]+ µs per step\n"), r::toString);
  }

  @Test
  void greedySamplingIgnoresTheSeed() throws IOException {
    CliRun a = CliRun.of("sample", model.toString(), "--temperature", "0", "-n", "120", "--seed", "1");
    CliRun b = CliRun.of("sample", model.toString(), "--temperature", "0", "-n", "120", "--seed", "2");
    assertEquals(0, a.exitCode(), a::toString);
    assertEquals(a.out(), b.out());
    // The default prime is a newline (the text has one), and it is not printed.
    assertEquals(runtimeText("\n", 0, 120, 99) + "\n", a.out());
  }

  @Test
  void differentSeedsDrawDifferentTextsAtTemperatureOne() {
    CliRun a = CliRun.of("sample", model.toString(), "-n", "200", "--seed", "1");
    CliRun b = CliRun.of("sample", model.toString(), "-n", "200", "--seed", "2");
    assertEquals(0, a.exitCode(), a::toString);
    assertNotEquals(a.out(), b.out());
  }

  @Test
  void aPrimeOutsideTheVocabularyIsAnErrorNamingTheCharacters() {
    CliRun r = CliRun.of("sample", model.toString(), "--prime", "Zebra?");
    assertEquals(1, r.exitCode(), r::toString);
    assertEquals("rill: error: --prime: 2 characters are not in the model's vocabulary: '?' (U+003F), 'Z' (U+005A)", r.errLine());
    assertEquals("", r.out());
  }

  @Test
  void aVectorModelIsRefused() throws IOException {
    Random rnd = new Random(3);
    Path vector = dir.resolve("vector.rill");
    ModelWriter.write(ModelBuilder.create().input(3).lstm("lstm0", Direction.FORWARD, 2, random(rnd, 24), random(rnd, 16), random(rnd, 16))
        .build(), vector);
    CliRun r = CliRun.of("sample", vector.toString());
    assertEquals(1, r.exitCode(), r::toString);
    assertEquals("rill: error: " + vector + " is not a token model (it takes vectors of 3 floats); a character model takes character ids",
        r.errLine());
  }

  @Test
  void aTokenModelWithoutVocabularyIsRefused() throws IOException {
    Random rnd = new Random(4);
    Path noVocabulary = dir.resolve("ids.rill");
    ModelWriter.write(ModelBuilder.create().embedding(5, 2, random(rnd, 10))
        .lstm("lstm0", Direction.FORWARD, 2, random(rnd, 16), random(rnd, 16), random(rnd, 16))
        .dense("out", 5, random(rnd, 10), random(rnd, 5), OutputActivation.SOFTMAX).build(), noVocabulary);
    CliRun r = CliRun.of("sample", noVocabulary.toString());
    assertEquals(1, r.exitCode(), r::toString);
    assertEquals("rill: error: " + noVocabulary + " has no vocabulary: it does not say which character each token id stands for", r.errLine());
    CliRun e = CliRun.of("eval", noVocabulary.toString(), "--text", text.toString());
    assertEquals(1, e.exitCode(), e::toString);
  }

  @Test
  void aNegativeTemperatureIsAUsageError() {
    CliRun r = CliRun.of("sample", model.toString(), "--temperature", "-1");
    assertEquals(2, r.exitCode(), r::toString);
    assertEquals("rill: error: --temperature must be finite and >= 0, got -1.0 (see 'rill sample --help')", r.errLine());
  }

  @Test
  void evalPrintsTheMeanBitsPerPredictionOfModelRun() throws IOException {
    CliRun r = CliRun.of("eval", model.toString(), "--text", text.toString());
    assertEquals(0, r.exitCode(), r::toString);
    Matcher m = Pattern.compile("^([0-9.]+) bits/char over ([0-9,]+) predictions").matcher(r.out());
    assertTrue(m.find(), r::toString);
    int[] ids = corpus.ids();
    // Longer than the command's chunk, so that carrying the state across chunks is checked too.
    assertTrue(ids.length > EvalCommand.CHUNK);
    double sum = 0;
    try (Model runtime = Model.load(model)) {
      int v = runtime.outputSize();
      float[] p = runtime.run(SequenceBatch.ofTokens(Arrays.copyOf(ids, ids.length - 1), ids.length - 1, 1)).output();
      for (int t = 0; t + 1 < ids.length; t++) {
        sum -= Math.log(p[t * v + ids[t + 1]]) / Math.log(2);
      }
    }
    assertEquals(sum / (ids.length - 1), Double.parseDouble(m.group(1)), 1e-4);
    assertEquals(String.format("%,d", ids.length - 1), m.group(2));
  }

  @Test
  void evalHeldOutTakesTheTrainersSplit() throws IOException {
    int[] ids = corpus.ids();
    int split = (int) Math.round(ids.length * 0.9);
    Path tail = dir.resolve("tail.txt");
    StringBuilder tailText = new StringBuilder();
    for (int i = split; i < ids.length; i++) {
      tailText.append(corpus.vocabulary().get(ids[i]));
    }
    Files.writeString(tail, tailText);
    CliRun whole = CliRun.of("eval", model.toString(), "--text", tail.toString());
    CliRun heldOut = CliRun.of("eval", model.toString(), "--text", text.toString(), "--held-out", "0.1");
    assertEquals(0, heldOut.exitCode(), heldOut::toString);
    assertEquals(whole.out().split(" ")[0], heldOut.out().split(" ")[0]);
    assertTrue(heldOut.out().contains(String.format("%,d predictions", ids.length - split - 1)), heldOut::toString);
    CliRun bad = CliRun.of("eval", model.toString(), "--text", text.toString(), "--held-out", "1");
    assertEquals(2, bad.exitCode(), bad::toString);
  }

  @Test
  void evalNamesTheCharactersOutsideTheVocabulary() throws IOException {
    Path other = dir.resolve("other.txt");
    Files.writeString(other, "The quick brown fox! Jumps?");
    CliRun r = CliRun.of("eval", model.toString(), "--text", other.toString());
    assertEquals(1, r.exitCode(), r::toString);
    assertEquals("rill: error: " + other + ": 3 characters are not in the model's vocabulary: '!' (U+0021), '?' (U+003F), 'J' (U+004A)",
        r.errLine());
  }

  @Test
  void evalNeedsTwoCharacters() throws IOException {
    Path one = dir.resolve("one.txt");
    Files.writeString(one, "T");
    CliRun r = CliRun.of("eval", model.toString(), "--text", one.toString());
    assertEquals(1, r.exitCode(), r::toString);
    assertEquals("rill: error: " + one + ": 1 character; at least two are needed for one prediction", r.errLine());
  }

  @Test
  void demoSamplesFromTheGivenModelLikeSampleWithItsDefaults() throws IOException {
    CliRun demo = CliRun.of("demo", "--model", model.toString(), "--seed", "3");
    assertEquals(0, demo.exitCode(), demo::toString);
    CliRun sample = CliRun.of("sample", model.toString(), "--prime", "The ", "--temperature", "0.7", "-n", "400", "--seed", "3");
    assertEquals(sample.out(), demo.out());
    assertEquals("The " + runtimeText("The ", 0.7, 400, 3) + "\n", demo.out());
  }

  @Test
  void demoFindsTheBundledModelThroughRillHome() throws IOException {
    String before = System.getProperty(DemoCommand.HOME_PROPERTY);
    try {
      System.clearProperty(DemoCommand.HOME_PROPERTY);
      CliRun unset = CliRun.of("demo");
      assertEquals(1, unset.exitCode(), unset::toString);
      assertTrue(unset.errLine().startsWith("rill: error: cannot find the bundled model: -Drill.home=REPOSITORY is not set"), unset::toString);

      System.setProperty(DemoCommand.HOME_PROPERTY, dir.toString());
      CliRun missing = CliRun.of("demo");
      assertEquals(1, missing.exitCode(), missing::toString);
      assertTrue(missing.errLine().startsWith("rill: error: the bundled model examples/moby_dick_lstm.rill is missing from " + dir),
          missing::toString);

      Files.createDirectories(dir.resolve("examples"));
      Files.copy(model, dir.resolve(DemoCommand.BUNDLED_MODEL));
      CliRun found = CliRun.of("demo", "-n", "50");
      assertEquals(0, found.exitCode(), found::toString);
      assertTrue(found.out().startsWith("The "), found::toString);
    } finally {
      if (before == null) {
        System.clearProperty(DemoCommand.HOME_PROPERTY);
      } else {
        System.setProperty(DemoCommand.HOME_PROPERTY, before);
      }
    }
  }

  private static float[] random(Random rnd, int n) {
    float[] a = new float[n];
    for (int i = 0; i < n; i++) {
      a[i] = (float) (rnd.nextGaussian() * 0.5);
    }
    return a;
  }
}
