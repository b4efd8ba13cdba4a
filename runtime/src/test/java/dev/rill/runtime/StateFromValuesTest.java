package dev.rill.runtime;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rill.format.proto.Direction;
import dev.rill.format.proto.OutputActivation;
import dev.rill.format.proto.RillModel;
import dev.rill.runtime.testing.RandomModels;
import dev.rill.runtime.testing.RandomModels.Options;
import org.junit.jupiter.api.Test;

/** {@link State#of}: a state rebuilt from its values, as a serializer outside the runtime does. */
class StateFromValuesTest {

  private static final RillModel LSTM_GRU = new RandomModels(71).vectorInput(3)
      .lstm(5, Direction.FORWARD, Options.DEFAULT).gru(4, Direction.FORWARD, Options.DEFAULT)
      .dense(2, OutputActivation.NONE).build();

  @Test
  void rebuiltStateContinuesBitForBit() {
    try (Model model = Model.of(LSTM_GRU); StreamingSession session = model.newSession();
        StreamingSession other = model.newSession()) {
      float[] y = new float[2];
      for (int t = 0; t < 7; t++) {
        session.step(input(t), y);
      }
      State taken = session.snapshot();
      int layers = taken.recurrentLayerCount();
      int[] directions = new int[layers];
      int[] hiddenSizes = new int[layers];
      float[][] hidden = new float[layers][];
      float[][] cell = new float[layers][];
      for (int r = 0; r < layers; r++) {
        directions[r] = taken.directions(r);
        hiddenSizes[r] = taken.hiddenSize(r);
        hidden[r] = taken.hidden(r);
        cell[r] = taken.cell(r);
      }
      State rebuilt = State.of(1, directions, hiddenSizes, hidden, cell);
      // Copied: changing the arrays afterwards does not change the state.
      hidden[0][0] += 1f;
      assertEquals(taken.hidden(0)[0], rebuilt.hidden(0)[0]);
      assertNull(rebuilt.cell(1), "the GRU has no cell state");

      other.restore(rebuilt);
      float[] expected = new float[2];
      float[] actual = new float[2];
      for (int t = 7; t < 12; t++) {
        session.step(input(t), expected);
        other.step(input(t), actual);
        assertArrayEquals(expected, actual, "step " + t);
      }
    }
  }

  @Test
  void aStateOfOtherShapesIsRefusedOnRestore() {
    State wrongSize = State.of(1, new int[] {1, 1}, new int[] {6, 4}, new float[][] {new float[6], new float[4]},
        new float[][] {new float[6], null});
    try (Model model = Model.of(LSTM_GRU); StreamingSession session = model.newSession()) {
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> session.restore(wrongSize));
      assertTrue(e.getMessage().contains("hidden size 5"), e.getMessage());
    }
  }

  @Test
  void inconsistentValuesAreRefused() {
    IllegalArgumentException length = assertThrows(IllegalArgumentException.class,
        () -> State.of(2, new int[] {1}, new int[] {3}, new float[][] {new float[3]}, new float[][] {null}));
    assertTrue(length.getMessage().contains("needs 6 floats ([D=1, N=2, H=3]) of h; got 3"), length.getMessage());
    assertThrows(IllegalArgumentException.class,
        () -> State.of(1, new int[] {1}, new int[] {3}, new float[][] {new float[3]}, new float[][] {new float[2]}));
    assertThrows(IllegalArgumentException.class,
        () -> State.of(1, new int[] {1, 1}, new int[] {3}, new float[][] {new float[3]}, new float[][] {null}));
    assertThrows(IllegalArgumentException.class,
        () -> State.of(0, new int[] {1}, new int[] {3}, new float[][] {new float[0]}, new float[][] {null}));
    assertThrows(IllegalArgumentException.class,
        () -> State.of(1, new int[] {3}, new int[] {3}, new float[][] {new float[9]}, new float[][] {null}));
  }

  private static float[] input(int t) {
    return new float[] {0.1f * t, -0.3f + 0.05f * t, (t % 3) - 1f};
  }
}
