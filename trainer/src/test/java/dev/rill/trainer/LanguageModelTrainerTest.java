package dev.rill.trainer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rill.runtime.Model;
import dev.rill.runtime.StreamingSession;
import dev.rill.trainer.data.CharCorpus;
import dev.rill.trainer.nn.CellKind;
import dev.rill.trainer.optim.Optimizer;
import dev.rill.trainer.tensor.Activation;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Training runs end to end on a small text: determinism, resuming, divergence, bad input, and sampling. */
class LanguageModelTrainerTest {
  private static final String TEXT = "the quick brown fox jumps over the lazy dog. ".repeat(60)
      + "pack my box with five dozen liquor jugs! ".repeat(60);

  @TempDir
  Path dir;

  private static TrainingOptions options(int epochs, Optimizer.Kind optimizer, double lr, double dropout) {
    return new TrainingOptions(CellKind.LSTM, 24, 2, 8, Activation.TANH, false, dropout, 16, 4, epochs, 0, 0, optimizer, lr, 5, 0, 7, 1,
        0.1);
  }

  private byte[] train(String name, TrainingOptions options) throws IOException {
    Path out = dir.resolve(name);
    try (LanguageModelTrainer trainer = new LanguageModelTrainer(CharCorpus.of(TEXT, "text"), options, out, new TrainingListener() {})) {
      trainer.train();
    }
    return Files.readAllBytes(out);
  }

  @Test
  void theSameSeedGivesTheSameModelFile() throws IOException {
    TrainingOptions options = options(2, Optimizer.Kind.ADAM, 1e-2, 0.2);
    assertArrayEquals(train("a.rill", options), train("b.rill", options));
  }

  @Test
  void theWeightsDoNotDependOnTheNumberOfThreads() throws IOException {
    TrainingOptions one = options(2, Optimizer.Kind.ADAM, 1e-2, 0.2);
    TrainingOptions two = new TrainingOptions(one.cell(), one.hidden(), one.layers(), one.embedding(), one.rnnActivation(),
        one.peepholes(), one.dropout(), one.seqLen(), one.batch(), one.epochs(), one.minutes(), one.patience(), one.optimizer(),
        one.learningRate(), one.clipNorm(), one.clipValue(), one.seed(), 2, one.validationFraction());
    var a = dev.rill.format.proto.RillModel.parseFrom(train("one.rill", one));
    var b = dev.rill.format.proto.RillModel.parseFrom(train("two.rill", two));
    assertEquals(a.getTensorsList(), b.getTensorsList());
  }

  @Test
  void resumingFromACheckpointContinuesBitForBit() throws IOException {
    byte[] straight = train("straight.rill", options(3, Optimizer.Kind.ADAM, 1e-2, 0.2));
    train("split.rill", options(1, Optimizer.Kind.ADAM, 1e-2, 0.2));
    Path checkpoint = LanguageModelTrainer.checkpointOf(dir.resolve("split.rill"));
    assertTrue(Files.exists(checkpoint));
    Path out = dir.resolve("split.rill");
    LanguageModelTrainer resumed = new LanguageModelTrainer(CharCorpus.of(TEXT, "text"), options(3, Optimizer.Kind.ADAM, 1e-2, 0.2),
        out, new TrainingListener() {});
    resumed.resume(checkpoint);
    assertEquals(3, resumed.train().epochs());
    assertArrayEquals(straight, Files.readAllBytes(out));
    assertArrayEquals(Files.readAllBytes(LanguageModelTrainer.checkpointOf(dir.resolve("straight.rill"))),
        Files.readAllBytes(checkpoint));
  }

  @Test
  void aCheckpointOfOtherSettingsIsRefused() throws IOException {
    train("m.rill", options(1, Optimizer.Kind.ADAM, 1e-2, 0));
    LanguageModelTrainer other = new LanguageModelTrainer(CharCorpus.of(TEXT, "text"), options(2, Optimizer.Kind.SGD, 1e-2, 0),
        dir.resolve("n.rill"), new TrainingListener() {});
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> other.resume(LanguageModelTrainer.checkpointOf(dir.resolve("m.rill"))));
    assertTrue(e.getMessage().contains("other settings"), e.getMessage());
  }

  @Test
  void trainingLowersTheValidationLossWithEachOptimizer() throws IOException {
    for (Optimizer.Kind kind : Optimizer.Kind.values()) {
      double lr = kind == Optimizer.Kind.SGD ? 0.5 : kind == Optimizer.Kind.ADAGRAD ? 0.05 : 1e-2;
      LanguageModelTrainer trainer = new LanguageModelTrainer(CharCorpus.of(TEXT, "text"), options(3, kind, lr, 0),
          dir.resolve(kind + ".rill"), new TrainingListener() {});
      double before = trainer.evaluate(trainer.validationWindows()) / Math.log(2);
      LanguageModelTrainer.TrainingResult result = trainer.train();
      assertTrue(result.bestValidationBitsPerChar() < before - 0.5,
          kind + ": validation " + before + " -> " + result.bestValidationBitsPerChar() + " bits/char");
    }
  }

  @Test
  void targetsThatDoNotFitTheWindowAreRefused() {
    dev.rill.trainer.nn.Network net = new dev.rill.trainer.nn.Network(dev.rill.trainer.nn.NetworkSpec.languageModel(5, 4, CellKind.GRU, 6, 1, 0),
        dev.rill.trainer.tensor.Ops.floats(), 1);
    int[] ids = {0, 1, 2, 3, 4, 0};
    IllegalArgumentException count = assertThrows(IllegalArgumentException.class,
        () -> net.forward(ids, 3, 2, dev.rill.trainer.nn.Targets.ofClasses(new int[5]), null));
    assertTrue(count.getMessage().contains("expected 6 target classes"), count.getMessage());
    IllegalArgumentException range = assertThrows(IllegalArgumentException.class,
        () -> net.forward(ids, 3, 2, dev.rill.trainer.nn.Targets.ofClasses(new int[] {0, 1, 2, 3, 4, 5}), null));
    assertTrue(range.getMessage().contains("outside [0, 5)"), range.getMessage());
    IllegalArgumentException kind = assertThrows(IllegalArgumentException.class,
        () -> net.forward(ids, 3, 2, dev.rill.trainer.nn.Targets.ofValues(new float[30]), null));
    assertTrue(kind.getMessage().contains("target classes, not values"), kind.getMessage());
  }

  @Test
  void aDivergingRunStopsAndSaysWhatItKept() {
    LanguageModelTrainer trainer = new LanguageModelTrainer(CharCorpus.of(TEXT, "text"),
        new TrainingOptions(CellKind.RNN, 24, 1, 8, Activation.RELU, false, 0, 16, 4, 3, 0, 0, Optimizer.Kind.SGD, 1e6, 0, 0, 7, 1, 0.1),
        dir.resolve("nan.rill"), new TrainingListener() {});
    LanguageModelTrainer.TrainingDivergedException e = assertThrows(LanguageModelTrainer.TrainingDivergedException.class, trainer::train);
    assertTrue(e.getMessage().contains("--lr"), e.getMessage());
    assertFalse(Files.exists(dir.resolve("nan.rill")), "no model is written before a validation succeeds");
  }

  @Test
  void badTextsAndSettingsAreRefusedWithAMessage() throws IOException {
    Path empty = Files.write(dir.resolve("empty.txt"), new byte[0]);
    Path binary = Files.write(dir.resolve("binary.bin"), new byte[] {(byte) 0xff, (byte) 0xfe, 0, 1, 2});
    Path one = Files.writeString(dir.resolve("one.txt"), "aaaaaaaaaa");
    assertTrue(assertThrows(IllegalArgumentException.class, () -> CharCorpus.read(empty)).getMessage().contains("empty"));
    assertTrue(assertThrows(IllegalArgumentException.class, () -> CharCorpus.read(binary)).getMessage().contains("binary"));
    assertTrue(assertThrows(IllegalArgumentException.class, () -> CharCorpus.read(one)).getMessage().contains("one distinct"));
    assertTrue(assertThrows(IllegalArgumentException.class, () -> options(0, Optimizer.Kind.ADAM, 1e-2, 0)).getMessage()
        .contains("--epochs"));
    assertTrue(assertThrows(IllegalArgumentException.class,
        () -> new TrainingOptions(CellKind.LSTM, 8, 1, 8, Activation.TANH, false, 0, 0, 4, 1, 0, 0, Optimizer.Kind.ADAM, 1e-2, 0, 0, 1, 1,
            0.1)).getMessage().contains("--seq-len"));
    IllegalArgumentException tooShort = assertThrows(IllegalArgumentException.class,
        () -> new LanguageModelTrainer(CharCorpus.of("abcdefgh", "tiny"), options(1, Optimizer.Kind.ADAM, 1e-2, 0), dir.resolve("x.rill"),
            new TrainingListener() {}));
    assertTrue(tooShort.getMessage().contains("too short"), tooShort.getMessage());
    IllegalArgumentException unknown = assertThrows(IllegalArgumentException.class,
        () -> CharCorpus.of(List.of("a", "b"), "abz", "the prime"));
    assertTrue(unknown.getMessage().contains("'z'"), unknown.getMessage());
  }

  @Test
  void theRuntimeAndTheTrainerSampleTheSameText() throws IOException {
    Path out = dir.resolve("s.rill");
    LanguageModelTrainer trainer = new LanguageModelTrainer(CharCorpus.of(TEXT, "text"), options(2, Optimizer.Kind.ADAM, 1e-2, 0), out,
        new TrainingListener() {});
    trainer.train();
    // The file holds the best epoch's weights; export the network as it is now to compare like with like.
    Files.write(out, trainer.model().toByteArray());
    List<String> vocabulary = CharCorpus.of(TEXT, "text").vocabulary();
    for (double temperature : new double[] {0, 0.8, 1.5}) {
      StringBuilder fromTrainer = new StringBuilder();
      TextSampler.sample(TextSampler.of(trainer.network()), vocabulary, "the ", temperature, 300, 42, fromTrainer::append);
      StringBuilder fromRuntime = new StringBuilder();
      try (Model model = Model.load(out); StreamingSession session = model.newSession()) {
        float[] probabilities = new float[model.outputSize()];
        TextSampler.sample(token -> {
          session.step(token, probabilities);
          return probabilities;
        }, model.vocabulary(), "the ", temperature, 300, 42, fromRuntime::append);
      }
      assertEquals(fromTrainer.toString(), fromRuntime.toString(), "temperature " + temperature);
      assertEquals(300, fromTrainer.codePointCount(0, fromTrainer.length()));
    }
    assertTrue(new String(Files.readAllBytes(out), StandardCharsets.ISO_8859_1).contains("rill train charlm"));
  }
}
