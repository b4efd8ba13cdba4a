package dev.rill.converter.safetensors;

import java.util.Arrays;

/**
 * One tensor entry of a safetensors header, already validated against the file.
 * Offsets are relative to the start of the data section, as in the header.
 */
public final class SafetensorsTensor {

  private final String name;
  private final SafetensorsDtype dtype;
  private final long[] shape;
  private final long begin;
  private final long end;

  SafetensorsTensor(String name, SafetensorsDtype dtype, long[] shape, long begin, long end) {
    this.name = name;
    this.dtype = dtype;
    this.shape = shape.clone();
    this.begin = begin;
    this.end = end;
  }

  /** The tensor's name, e.g. {@code rnn.weight_ih_l0}. */
  public String name() {
    return name;
  }

  /** The element type stored in the file. */
  public SafetensorsDtype dtype() {
    return dtype;
  }

  /** The dimensions, outermost first (a copy). */
  public long[] shape() {
    return shape.clone();
  }

  /** The number of dimensions. */
  public int rank() {
    return shape.length;
  }

  /** Dimension {@code i}. */
  public long dim(int i) {
    return shape[i];
  }

  /** The number of elements (the product of the shape; 1 for a scalar). */
  public long elementCount() {
    long n = 1;
    for (long d : shape) {
      n *= d; // validated not to overflow when the file was opened
    }
    return n;
  }

  /** Start of the data, relative to the data section. */
  public long begin() {
    return begin;
  }

  /** End (exclusive) of the data, relative to the data section. */
  public long end() {
    return end;
  }

  @Override
  public String toString() {
    return name + " " + dtype + " " + Arrays.toString(shape);
  }
}
