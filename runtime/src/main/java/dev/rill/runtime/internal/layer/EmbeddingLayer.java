package dev.rill.runtime.internal.layer;

import java.lang.foreign.MemorySegment;

/**
 * The token input of a model: row {@code t} of {@code table} [vocabularySize, dim] is the vector of token
 * id {@code t}. The table is float32 in the model's arena.
 *
 * @param name the layer's name in the model file
 * @param vocabularySize the number of token ids
 * @param dim the vector size
 * @param table the rows, off-heap
 */
public record EmbeddingLayer(String name, int vocabularySize, int dim, MemorySegment table) {

  /** Copies the vector of {@code token} to {@code dst} at a byte offset; the caller checks the range. */
  public void lookup(int token, MemorySegment dst, long dstOffset) {
    MemorySegment.copy(table, (long) token * dim * Float.BYTES, dst, dstOffset, (long) dim * Float.BYTES);
  }

  /** The message for a token id outside [0, vocabularySize). */
  public String outOfRange(int token) {
    return "token id " + token + " is out of range [0, " + vocabularySize + ")";
  }

  /** Throws IllegalArgumentException unless {@code token} is a valid id. */
  public void checkToken(int token) {
    if (token < 0 || token >= vocabularySize) {
      throw new IllegalArgumentException(outOfRange(token));
    }
  }

}
