package dev.rill.converter.npy;

/** The NumPy element types Rill reads and writes: little-endian float32, float64, int32 and int64. */
public enum NpyDtype {
  /** {@code <f4}: float32. */
  F4("<f4", 4),
  /** {@code <f8}: float64. */
  F8("<f8", 8),
  /** {@code <i4}: int32. */
  I4("<i4", 4),
  /** {@code <i8}: int64. */
  I8("<i8", 8);

  private final String descr;
  private final int byteSize;

  NpyDtype(String descr, int byteSize) {
    this.descr = descr;
    this.byteSize = byteSize;
  }

  /** The NumPy type string, e.g. {@code <f4}. */
  public String descr() {
    return descr;
  }

  /** Bytes per element. */
  public int byteSize() {
    return byteSize;
  }

  /** True for the integer types. */
  public boolean isInteger() {
    return this == I4 || this == I8;
  }

  /** The dtype of a type string, or null if Rill does not support it. */
  static NpyDtype ofDescr(String descr) {
    for (NpyDtype d : values()) {
      if (d.descr.equals(descr)) {
        return d;
      }
    }
    return null;
  }
}
