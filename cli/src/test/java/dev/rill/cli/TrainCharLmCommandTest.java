package dev.rill.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rill.trainer.LanguageModelTrainer;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code rill train charlm} end to end on a tiny model (H = 16) and a few kilobytes of text: the files it writes,
 * its lines, determinism, resuming, and a one-line error with no files for each kind of bad input.
 */
class TrainCharLmCommandTest {

  /** A few KB of text with enough structure to learn something in two epochs. */
  static final String TEXT = "The quick brown fox jumps over the lazy dog.\n".repeat(100);

  /** The tiny model's settings, without --epochs. */
  static final List<String> TINY = List.of("--hidden", "16", "--embed", "8", "--seq-len", "16", "--batch", "4", "--seed", "7");

  @TempDir
  static Path shared;

  static Path text;
  static Path model;
  static CliRun firstRun;

  @TempDir
  Path dir;

  @BeforeAll
  static void trainTwoEpochs() throws IOException {
    text = shared.resolve("pangram.txt");
    Files.writeString(text, TEXT);
    model = shared.resolve("tiny.rill");
    firstRun = train(text, model, "--epochs", "2");
    assertEquals(0, firstRun.exitCode(), firstRun::toString);
  }

  static CliRun train(Path text, Path output, String... extra) {
    List<String> args = new ArrayList<>(List.of("train", "charlm", "--text", text.toString(), "-o", output.toString()));
    args.addAll(TINY);
    args.addAll(List.of(extra));
    return CliRun.of(args.toArray(String[]::new));
  }

  @Test
  void writesTheModelTheCheckpointAndAPngOfTheCurves() throws IOException {
    assertTrue(Files.size(model) > 0);
    assertTrue(Files.size(LanguageModelTrainer.checkpointOf(model)) > Files.size(model), "the checkpoint adds the optimizer's state");
    Path png = shared.resolve("tiny.rill.png");
    byte[] bytes = Files.readAllBytes(png);
    byte[] signature = {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    assertArrayEquals(signature, java.util.Arrays.copyOf(bytes, 8));
    BufferedImage image = ImageIO.read(new ByteArrayInputStream(bytes));
    assertEquals(LearningCurvePlot.WIDTH, image.getWidth());
    assertEquals(LearningCurvePlot.HEIGHT, image.getHeight());
  }

  @Test
  void printsOneLinePerEpochAndASummaryWithoutTerminalCodes() {
    List<String> lines = firstRun.out().lines().toList();
    List<String> epochs = lines.stream().filter(l -> l.startsWith("epoch ")).toList();
    assertEquals(2, epochs.size(), firstRun::toString);
    String number = "[0-9]+\\.[0-9]{4}";
    assertTrue(epochs.get(0).matches("epoch 1/2: train " + number + " bits/char, validation " + number
        + " bits/char, [0-9,]+ chars/s \\([0-9]+ windows\\), wrote " + java.util.regex.Pattern.quote(model.toString())), epochs.get(0));
    assertTrue(epochs.get(1).startsWith("epoch 2/2: train "), epochs.get(1));
    String last = lines.getLast();
    assertTrue(last.matches("done: 2 epochs \\(stopped by epochs\\), best validation " + number + " bits/char, .*chars/s overall; wrote .*"),
        last);
    assertFalse(firstRun.out().contains("\r") || firstRun.out().contains("\u001b"), "no progress bar without a terminal");
  }

  @Test
  void theSameSeedGivesAByteIdenticalModel() throws IOException {
    Path again = dir.resolve("again.rill");
    CliRun r = train(text, again, "--epochs", "2");
    assertEquals(0, r.exitCode(), r::toString);
    assertArrayEquals(Files.readAllBytes(model), Files.readAllBytes(again));
  }

  @Test
  void resumingFromTheFirstEpochsCheckpointGivesTheUninterruptedModel() throws IOException {
    Path resumed = dir.resolve("resumed.rill");
    CliRun first = train(text, resumed, "--epochs", "1");
    assertEquals(0, first.exitCode(), first::toString);
    Path checkpoint = dir.resolve("after-epoch-1.checkpoint");
    Files.move(LanguageModelTrainer.checkpointOf(resumed), checkpoint);

    CliRun second = train(text, resumed, "--epochs", "2", "--resume", checkpoint.toString());
    assertEquals(0, second.exitCode(), second::toString);
    assertTrue(second.out().contains("resumed from " + checkpoint + " after epoch 1"), second::toString);
    assertFalse(second.out().contains("epoch 1/2"), second::toString);
    assertTrue(second.out().contains("epoch 2/2: train "), second::toString);
    assertArrayEquals(Files.readAllBytes(model), Files.readAllBytes(resumed));
  }

  @Test
  void resumingACheckpointThatHasEveryEpochTrainsNothingAndSaysSo() {
    Path checkpoint = LanguageModelTrainer.checkpointOf(model);
    Path elsewhere = dir.resolve("elsewhere.rill");
    CliRun r = train(text, elsewhere, "--epochs", "2", "--resume", checkpoint.toString());
    assertEquals(0, r.exitCode(), r::toString);
    assertEquals("nothing to train: " + checkpoint + " has 2 epochs already and --epochs is 2; raise --epochs to continue",
        r.out().lines().toList().getLast(), r::toString);
    assertFalse(Files.exists(elsewhere));
  }

  @Test
  void aCheckpointOfOtherSettingsIsRefused() {
    CliRun r = train(text, dir.resolve("other.rill"), "--epochs", "2", "--lr", "0.01", "--resume",
        LanguageModelTrainer.checkpointOf(model).toString());
    assertEquals(1, r.exitCode(), r::toString);
    assertTrue(r.errLine().contains("was written by a run with other settings or another text"), r::toString);
    assertEquals(1, r.err().lines().count(), r::toString);
  }

  @Test
  void anEmptyTextIsAnErrorAndWritesNothing() throws IOException {
    Path empty = dir.resolve("empty.txt");
    Files.writeString(empty, "");
    assertFailsWithoutFiles(train(empty, dir.resolve("m.rill"), "--epochs", "1"), 1, "rill: error: " + empty + ": the text is empty");
  }

  @Test
  void aBinaryFileIsAnErrorAndWritesNothing() throws IOException {
    Path binary = dir.resolve("data.bin");
    Files.write(binary, new byte[] {0x7f, 'E', 'L', 'F', 2, 1, 1, 0, (byte) 0xff, (byte) 0xfe, 0, 0});
    assertFailsWithoutFiles(train(binary, dir.resolve("m.rill"), "--epochs", "1"), 1,
        "rill: error: " + binary + ": not UTF-8 text (a binary file?)");
  }

  @Test
  void aTextOfOneDistinctCharacterIsAnErrorAndWritesNothing() throws IOException {
    Path same = dir.resolve("aaaa.txt");
    Files.writeString(same, "a".repeat(5000));
    assertFailsWithoutFiles(train(same, dir.resolve("m.rill"), "--epochs", "1"), 1,
        "rill: error: " + same + ": the text has only one distinct character; a language model needs at least two");
  }

  @Test
  void aMissingTextFileIsAnErrorAndWritesNothing() {
    Path missing = dir.resolve("missing.txt");
    assertFailsWithoutFiles(train(missing, dir.resolve("m.rill"), "--epochs", "1"), 1, "rill: error: no such file: " + missing);
  }

  @Test
  void aSequenceLengthOfZeroIsAUsageErrorAndWritesNothing() throws IOException {
    Path copy = dir.resolve("pangram.txt");
    Files.writeString(copy, TEXT);
    CliRun r = CliRun.of("train", "charlm", "--text", copy.toString(), "-o", dir.resolve("m.rill").toString(), "--hidden", "16",
        "--seq-len", "0");
    assertFailsWithoutFiles(r, 2, "rill: error: --seq-len must be at least 1, got 0 (see 'rill train charlm --help')");
  }

  @Test
  void epochsAndMinutesTogetherAreAUsageError() throws IOException {
    Path copy = dir.resolve("pangram.txt");
    Files.writeString(copy, TEXT);
    assertFailsWithoutFiles(train(copy, dir.resolve("m.rill"), "--epochs", "1", "--minutes", "1"), 2,
        "rill: error: --epochs and --minutes are mutually exclusive: give one (see 'rill train charlm --help')");
  }

  @Test
  void anUnknownCellIsAUsageError() throws IOException {
    Path copy = dir.resolve("pangram.txt");
    Files.writeString(copy, TEXT);
    CliRun r = train(copy, dir.resolve("m.rill"), "--epochs", "1", "--cell", "transformer");
    assertFailsWithoutFiles(r, 2, "rill: error: Invalid value for option '--cell': 'transformer' (expected lstm, gru, gru-lbr, "
        + "minimal-gru, rnn or rnn-relu) (see 'rill train charlm --help')");
  }

  @Test
  void aLearningRateThatMakesTheLossNaNIsAnErrorAndWritesNothing() throws IOException {
    Path copy = dir.resolve("pangram.txt");
    Files.writeString(copy, TEXT);
    // SGD at 1e38 overflows the weights within a window or two; smaller rates such as 1e6 give a huge but finite loss.
    CliRun r = train(copy, dir.resolve("m.rill"), "--epochs", "1", "--optimizer", "sgd", "--lr", "1e38");
    // Which window overflows first, and to NaN or to infinity, depends on the arithmetic's last bits.
    java.util.regex.Matcher m = java.util.regex.Pattern.compile(
        "rill: error: the training loss became (NaN|Infinity) at epoch 1, window [0-9]+; no model was written\\. "
            + "Try a smaller --lr or --clip\\.").matcher(r.errLine());
    assertTrue(m.matches(), r::toString);
    assertFailsWithoutFiles(r, 1, r.errLine());
  }

  @Test
  void theTrainCommandWithoutATaskIsAUsageError() {
    CliRun r = CliRun.of("train");
    assertEquals(2, r.exitCode(), r::toString);
    assertEquals("rill: error: missing task (charlm) (see 'rill train --help')", r.errLine());
  }

  @Test
  void theHelpShowsTheTrainersDefaults() {
    CliRun r = CliRun.of("train", "charlm", "--help");
    assertEquals(0, r.exitCode(), r::toString);
    String help = r.out().replaceAll("\\s+", " ");
    assertTrue(help.contains("the last 5% of the text is held out for validation"), r::toString);
    assertTrue(help.contains("Units of each recurrent layer. Default: 256."), r::toString);
    assertTrue(help.contains("rnn-relu. Default: lstm."), r::toString);
    assertTrue(help.contains("(with momentum 0.9). Default: adam."), r::toString);
  }

  /** A failure with exactly one line on standard error and no file left in the directory but the text. */
  private void assertFailsWithoutFiles(CliRun r, int exitCode, String errorLine) {
    assertEquals(exitCode, r.exitCode(), r::toString);
    assertEquals(errorLine, r.errLine(), r::toString);
    assertEquals(1, r.err().lines().count(), r::toString);
    try (Stream<Path> files = Files.list(dir)) {
      List<String> left = files.map(p -> p.getFileName().toString()).filter(n -> !n.endsWith(".txt") && !n.endsWith(".bin")).toList();
      assertEquals(List.of(), left, "files left behind");
    } catch (IOException e) {
      throw new AssertionError(e);
    }
  }
}
