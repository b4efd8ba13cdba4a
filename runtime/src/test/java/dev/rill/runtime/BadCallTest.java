package dev.rill.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rill.format.ModelFormatException;
import dev.rill.format.proto.Direction;
import dev.rill.format.proto.OutputActivation;
import dev.rill.format.proto.RillModel;
import dev.rill.runtime.testing.RandomModels;
import dev.rill.runtime.testing.RandomModels.Options;
import java.io.ByteArrayInputStream;
import java.lang.foreign.MemorySegment;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/** Every misuse fails with IllegalArgumentException or IllegalStateException and a message that says what is wrong. */
class BadCallTest {

  private static final RillModel VECTOR = new RandomModels(1).vectorInput(4).lstm(3, Direction.FORWARD)
      .dense(2, OutputActivation.NONE).build();
  private static final RillModel TOKENS = new RandomModels(2).tokenInput(256, 3)
      .gru(4, Direction.FORWARD, Options.DEFAULT).build();
  private static final RillModel BIDIRECTIONAL = new RandomModels(3).vectorInput(2)
      .lstm(3, Direction.FORWARD).gru(3, Direction.BIDIRECTIONAL, Options.DEFAULT).build();
  private static final RillModel REVERSE = new RandomModels(4).vectorInput(2)
      .rnn(3, Direction.REVERSE, Options.DEFAULT).build();

  @Test
  void wrongLengthsAreRejected() {
    try (Model model = Model.of(VECTOR); StreamingSession session = model.newSession()) {
      assertMessage(IllegalArgumentException.class, "input has 3 floats but the model takes 4 per step",
          () -> session.step(new float[3], new float[2]));
      assertMessage(IllegalArgumentException.class, "output has 3 floats but the model produces 2 per step",
          () -> session.step(new float[4], new float[3]));
      assertMessage(IllegalArgumentException.class,
          "input segment has 12 bytes but the model takes 4 floats (16 bytes) per step",
          () -> session.step(MemorySegment.ofArray(new float[3]), MemorySegment.ofArray(new float[2])));
      assertMessage(IllegalArgumentException.class,
          "output segment has 4 bytes but the model produces 2 floats (8 bytes) per step",
          () -> session.step(MemorySegment.ofArray(new float[4]), MemorySegment.ofArray(new float[1])));
    }
  }

  @Test
  void tokensOutOfRangeAreRejected() {
    try (Model model = Model.of(TOKENS); StreamingSession session = model.newSession()) {
      assertEquals(256, model.inputSize());
      assertMessage(IllegalArgumentException.class, "token id 300 is out of range [0, 256)",
          () -> session.step(300, new float[4]));
      assertMessage(IllegalArgumentException.class, "token id -1 is out of range [0, 256)",
          () -> session.step(-1, MemorySegment.ofArray(new float[4])));
      assertMessage(IllegalArgumentException.class, "token id 256 is out of range [0, 256)",
          () -> model.run(SequenceBatch.ofTokens(new int[] {1, 256}, 2, 1)));
    }
  }

  @Test
  void theInputKindMustMatchTheModel() {
    try (Model vectors = Model.of(VECTOR);
        Model tokens = Model.of(TOKENS);
        StreamingSession vectorSession = vectors.newSession();
        StreamingSession tokenSession = tokens.newSession()) {
      assertMessage(IllegalArgumentException.class,
          "this model takes float vectors of 4 values, not token ids", () -> vectorSession.step(1, new float[2]));
      assertMessage(IllegalArgumentException.class,
          "this is a token model (vocabulary of 256): pass token ids, not float vectors",
          () -> tokenSession.step(new float[3], new float[4]));
      assertMessage(IllegalArgumentException.class,
          "this is a token model (vocabulary of 256): pass token ids, not float vectors",
          () -> tokens.run(SequenceBatch.ofVectors(new float[3], 1, 1)));
      assertMessage(IllegalArgumentException.class, "this model takes float vectors of 4 values, not token ids",
          () -> vectors.run(SequenceBatch.ofTokens(new int[] {0}, 1, 1)));
    }
  }

  @Test
  void closedModelsAndSessionsThrowIllegalState() {
    Model model = Model.of(VECTOR);
    StreamingSession session = model.newSession();
    StreamingSession closedSession = model.newSession();
    closedSession.close();
    closedSession.close(); // idempotent
    assertMessage(IllegalStateException.class, "session is closed", () -> closedSession.step(new float[4], new float[2]));
    assertMessage(IllegalStateException.class, "session is closed", closedSession::snapshot);
    assertMessage(IllegalStateException.class, "session is closed", closedSession::reset);
    model.close();
    model.close(); // idempotent
    assertTrue(model.isClosed());
    assertMessage(IllegalStateException.class, "model is closed", () -> session.step(new float[4], new float[2]));
    assertMessage(IllegalStateException.class, "model is closed", model::newSession);
    assertMessage(IllegalStateException.class, "model is closed",
        () -> model.run(SequenceBatch.ofVectors(new float[4], 1, 1)));
    assertMessage(IllegalStateException.class, "model is closed", model::inputSize);
    assertMessage(IllegalStateException.class, "model is closed", model::proto);
    session.close();
  }

  @Test
  void modelsThatCannotStreamSaySo() {
    try (Model bidirectional = Model.of(BIDIRECTIONAL); Model reverse = Model.of(REVERSE)) {
      assertEquals(false, bidirectional.isStreamable());
      assertMessage(IllegalStateException.class, "layer 'gru1' is bidirectional; bidirectional layers need the "
          + "whole sequence: use Model.run(SequenceBatch)", bidirectional::newSession);
      assertEquals(false, reverse.isStreamable());
      assertMessage(IllegalStateException.class, "layer 'rnn0' runs in reverse; reverse layers need the whole "
          + "sequence: use Model.run(SequenceBatch)", reverse::newSession);
      // The sequence API takes them.
      assertEquals(2 * 3 * 6, bidirectional.run(SequenceBatch.ofVectors(new float[2 * 3 * 2], 2, 3)).output().length);
    }
  }

  @Test
  void statesOfTheWrongShapeAreRejected() {
    try (Model model = Model.of(VECTOR);
        Model tokens = Model.of(TOKENS);
        StreamingSession session = model.newSession();
        StreamingSession tokenSession = tokens.newSession()) {
      assertMessage(IllegalArgumentException.class, "the state does not fit recurrent layer 0 ('gru0'): the "
          + "layer has 1 direction(s), hidden size 4 and no cell state; the state has 1 direction(s), hidden "
          + "size 3 and a cell state", () -> tokenSession.restore(session.snapshot()));
      assertMessage(IllegalArgumentException.class, "the state holds 2 streams but 1 are needed",
          () -> session.restore(State.builder(model, 2).build()));
      assertMessage(IllegalArgumentException.class, "the initial state holds 2 streams but the batch has 1 sequences",
          () -> SequenceBatch.ofVectors(new float[4], 1, 1).withInitialState(State.builder(model, 2).build()));
      assertMessage(IllegalArgumentException.class,
          "hidden state of recurrent layer 0 ('lstm0') needs 6 floats ([D=1, N=2, H=3]), got 5",
          () -> State.builder(model, 2).hidden(0, new float[5]));
      assertMessage(IllegalArgumentException.class,
          "recurrent layer 0 ('gru0') is not an LSTM and has no cell state",
          () -> State.builder(tokens, 1).cell(0, new float[4]));
      assertThrows(IndexOutOfBoundsException.class, () -> State.builder(model, 1).hidden(1, new float[3]));
    }
  }

  @Test
  void badSequenceBatchesAreRejected() {
    try (Model model = Model.of(VECTOR)) {
      assertMessage(IllegalArgumentException.class,
          "the batch has 15 floats but steps 5 × batch 1 × inputSize 4 = 20",
          () -> model.run(SequenceBatch.ofVectors(new float[15], 5, 1)));
      assertMessage(IllegalArgumentException.class, "lengths[1] = 4 is out of range [0, 3]",
          () -> SequenceBatch.ofVectors(new float[24], 3, 2).withLengths(new int[] {3, 4}));
      assertMessage(IllegalArgumentException.class, "lengths has 1 entries but the batch has 2 sequences",
          () -> SequenceBatch.ofVectors(new float[24], 3, 2).withLengths(new int[] {3}));
      assertMessage(IllegalArgumentException.class, "steps and batch must be at least 1, got steps 0, batch 1",
          () -> SequenceBatch.ofVectors(new float[0], 0, 1));
      assertMessage(IllegalArgumentException.class, "tokens has 3 ids but steps 2 × batch 2 = 4",
          () -> SequenceBatch.ofTokens(new int[3], 2, 2));
    }
  }

  @Test
  void badOptionsAndModelsAreRejected() {
    assertMessage(IllegalArgumentException.class, "threads must be at least 1, got 0",
        () -> LoadOptions.builder().threads(0));
    RillModel missingTensor = VECTOR.toBuilder().removeTensors(0).build();
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Model.of(missingTensor));
    assertTrue(e.getMessage().startsWith("invalid model: ") && e.getMessage().contains("lstm0.w"), e.getMessage());
    assertTrue(e.getCause() instanceof ModelFormatException);
    ModelFormatException format = assertThrows(ModelFormatException.class,
        () -> Model.load(new byte[] {1, 2, 3, 4, 5}));
    assertTrue(format.getMessage() != null && !format.getMessage().isBlank());
    assertThrows(ModelFormatException.class, () -> Model.load(new ByteArrayInputStream(new byte[] {(byte) 0xff})));
  }

  static void assertMessage(Class<? extends RuntimeException> type, String message, Executable call) {
    RuntimeException e = assertThrows(type, call);
    assertEquals(message, e.getMessage());
  }
}
