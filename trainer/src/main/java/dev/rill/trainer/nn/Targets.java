package dev.rill.trainer.nn;

import java.util.Objects;

/**
 * What a window is trained to produce: a class per row for {@link Loss#SOFTMAX_CROSS_ENTROPY}, or
 * {@code outputs} values per row for the element-wise losses. Rows are time-major ({@code t * B + b}), for every
 * step, or for the last step only (B rows) when the network is trained many-to-one.
 *
 * @param classes the target class of each row, or null
 * @param values the target values, row-major, or null
 */
public record Targets(int[] classes, float[] values) {

  /** Checks that exactly one kind of target is given. */
  public Targets {
    if ((classes == null) == (values == null)) {
      throw new IllegalArgumentException("give either classes or values");
    }
  }

  /**
   * @param classes a class per row
   * @return the targets
   */
  public static Targets ofClasses(int[] classes) {
    return new Targets(Objects.requireNonNull(classes, "classes"), null);
  }

  /**
   * @param values row-major values
   * @return the targets
   */
  public static Targets ofValues(float[] values) {
    return new Targets(null, Objects.requireNonNull(values, "values"));
  }
}
