package dev.rill.runtime;

import static dev.rill.runtime.BadCallTest.assertMessage;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.rill.format.proto.Direction;
import dev.rill.format.proto.OutputActivation;
import dev.rill.format.proto.RillModel;
import dev.rill.runtime.testing.RandomModels;
import dev.rill.runtime.testing.RandomModels.Options;
import java.lang.foreign.MemorySegment;
import org.junit.jupiter.api.Test;

/** Every misuse of a {@link StreamBatch} fails with a message that says what is wrong, and changes nothing. */
class StreamBatchErrorsTest {

  private static final RillModel VECTOR = new RandomModels(51).vectorInput(4).lstm(3, Direction.FORWARD)
      .dense(2, OutputActivation.NONE).build();
  private static final RillModel TOKENS = new RandomModels(52).tokenInput(16, 3)
      .gru(4, Direction.FORWARD, Options.DEFAULT).build();
  private static final RillModel BIDIRECTIONAL = new RandomModels(53).vectorInput(2)
      .gru(3, Direction.BIDIRECTIONAL, Options.DEFAULT).build();

  @Test
  void slotsOutOfRangeOrNotOpen() {
    try (Model model = Model.of(VECTOR); StreamBatch batch = model.newStreamBatch(3)) {
      String outOfRange = "slot 3 is out of range: the batch has slots 0 to 2";
      assertMessage(IllegalArgumentException.class, outOfRange, () -> batch.isOpen(3));
      assertMessage(IllegalArgumentException.class, "slot -1 is out of range: the batch has slots 0 to 2",
          () -> batch.setInput(-1, new float[4]));
      assertMessage(IllegalArgumentException.class, outOfRange, () -> batch.output(3, new float[2]));
      assertMessage(IllegalArgumentException.class, outOfRange, () -> batch.close(3));
      String notOpen = "slot 1 is not open: open() a slot first";
      assertMessage(IllegalStateException.class, notOpen, () -> batch.setInput(1, new float[4]));
      assertMessage(IllegalStateException.class, notOpen, () -> batch.close(1));
      assertMessage(IllegalStateException.class, notOpen, () -> batch.reset(1));
      assertMessage(IllegalStateException.class, notOpen, () -> batch.snapshot(1));
      int slot = batch.open();
      batch.close(slot);
      assertMessage(IllegalStateException.class, "slot 0 is not open: open() a slot first", () -> batch.close(slot));
      assertEquals(0, batch.activeCount());
    }
  }

  @Test
  void aFullBatchRefusesAnotherStream() {
    try (Model model = Model.of(VECTOR); StreamBatch batch = model.newStreamBatch(2)) {
      batch.open();
      batch.open();
      assertMessage(IllegalStateException.class, "all 2 slots of the batch are open: close one first", batch::open);
      assertEquals(2, batch.activeCount());
    }
    try (Model model = Model.of(VECTOR)) {
      assertMessage(IllegalArgumentException.class, "capacity must be at least 1, got 0",
          () -> model.newStreamBatch(0));
    }
  }

  @Test
  void wrongLengthsAndInputKinds() {
    try (Model vectors = Model.of(VECTOR); StreamBatch batch = vectors.newStreamBatch(2);
        Model tokens = Model.of(TOKENS); StreamBatch tokenBatch = tokens.newStreamBatch(2)) {
      int slot = batch.open();
      assertMessage(IllegalArgumentException.class, "input has 3 floats but the model takes 4 per step",
          () -> batch.setInput(slot, new float[3]));
      assertMessage(IllegalArgumentException.class,
          "input segment has 12 bytes but the model takes 4 floats (16 bytes) per step",
          () -> batch.setInput(slot, MemorySegment.ofArray(new float[3])));
      assertMessage(IllegalArgumentException.class, "this model takes float vectors of 4 values, not token ids",
          () -> batch.setToken(slot, 1));
      batch.setInput(slot, new float[4]);
      batch.step();
      assertMessage(IllegalArgumentException.class, "output has 3 floats but the model produces 2 per step",
          () -> batch.output(slot, new float[3]));
      assertMessage(IllegalArgumentException.class,
          "output segment has 4 bytes but the model produces 2 floats (8 bytes) per step",
          () -> batch.output(slot, MemorySegment.ofArray(new float[1])));

      int tokenSlot = tokenBatch.open();
      assertMessage(IllegalArgumentException.class, "token id 16 is out of range [0, 16)",
          () -> tokenBatch.setToken(tokenSlot, 16));
      assertMessage(IllegalArgumentException.class,
          "this is a token model (vocabulary of 16): pass token ids, not float vectors",
          () -> tokenBatch.setInput(tokenSlot, new float[3]));
    }
  }

  @Test
  void stepNeedsAnInputForEveryOpenSlotAndOutputNeedsAStep() {
    try (Model model = Model.of(TOKENS); StreamBatch batch = model.newStreamBatch(3)) {
      int a = batch.open();
      int b = batch.open();
      assertMessage(IllegalStateException.class, "slot " + a + " has no output yet: it was not stepped since it was opened",
          () -> batch.output(a, new float[4]));
      batch.setToken(a, 3);
      assertMessage(IllegalStateException.class,
          "slot " + b + " has no input for this step: call setToken for every open slot before step()", batch::step);
      State untouched = batch.snapshot(a);
      assertEquals(0f, untouched.hidden(0)[0], "a refused step stepped nothing");
      batch.setToken(b, 4);
      batch.step();
      // Inputs are consumed by a step.
      assertMessage(IllegalStateException.class,
          "slot " + a + " has no input for this step: call setToken for every open slot before step()", batch::step);
    }
  }

  @Test
  void statesMustFit() {
    try (Model model = Model.of(VECTOR); Model other = Model.of(TOKENS); StreamBatch batch = model.newStreamBatch(2)) {
      int slot = batch.open();
      assertMessage(IllegalArgumentException.class, "the state holds 2 streams but 1 are needed",
          () -> batch.restore(slot, State.builder(model, 2).build()));
      assertMessage(IllegalArgumentException.class, "the state does not fit recurrent layer 0 ('lstm0'): the layer "
          + "has 1 direction(s), hidden size 3 and a cell state; the state has 1 direction(s), hidden size 4 and no "
          + "cell state", () -> batch.restore(slot, State.builder(other, 1).build()));
    }
  }

  @Test
  void bidirectionalModelsAreRefused() {
    try (Model model = Model.of(BIDIRECTIONAL)) {
      assertMessage(IllegalStateException.class, "layer 'gru0' is bidirectional; bidirectional layers need the "
          + "whole sequence: use Model.run(SequenceBatch)", () -> model.newStreamBatch(4));
    }
  }

  @Test
  void useAfterCloseIsRefused() {
    Model model = Model.of(VECTOR);
    StreamBatch batch = model.newStreamBatch(2);
    int slot = batch.open();
    batch.close();
    batch.close(); // idempotent
    assertMessage(IllegalStateException.class, "stream batch is closed", batch::open);
    assertMessage(IllegalStateException.class, "stream batch is closed", batch::step);
    assertMessage(IllegalStateException.class, "stream batch is closed", () -> batch.setInput(slot, new float[4]));
    assertMessage(IllegalStateException.class, "stream batch is closed", () -> batch.isOpen(slot));
    StreamBatch second = model.newStreamBatch(1);
    int s = second.open();
    model.close();
    assertMessage(IllegalStateException.class, "model is closed", () -> second.setInput(s, new float[4]));
    assertMessage(IllegalStateException.class, "model is closed", second::step);
    assertMessage(IllegalStateException.class, "model is closed", () -> model.newStreamBatch(1));
    second.close();
  }
}
