package dev.aigateway.core.wire;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class DeferredChunksTest {

  @Test
  void chunksKeptAreRebuiltWholeAndInOrder() {
    SplittableRandom random = new SplittableRandom(5);
    for (int round = 0; round < 500; round++) {
      keepAndRebuild(new DeferredChunks(), random);
    }
  }

  /**
   * An instance given back after its stream and taken for the next keeps and rebuilds that one's
   * chunks as a new one does, whatever the stream before held (longer or shorter chunks, more or
   * fewer), and holds none of the bytes of the stream before once given back.
   */
  @Test
  void aSpareInstanceKeepsTheNextStreamsChunksAsANewOneDoes() {
    SplittableRandom random = new SplittableRandom(11);
    for (int round = 0; round < 500; round++) {
      DeferredChunks stash = DeferredChunks.take();
      keepAndRebuild(stash, random);
      stash.giveBack();
      assertThat(stash.count()).isZero();
      assertThat(stash.heldBytesAllZero()).isTrue();
    }
  }

  /** Keeps up to 40 random chunks in {@code stash} and checks that they are rebuilt as kept. */
  private static void keepAndRebuild(DeferredChunks stash, SplittableRandom random) {
    List<byte[]> chunks = new ArrayList<>();
    List<Integer> textAt = new ArrayList<>();
    byte[] previous = new byte[0];
    for (int i = random.nextInt(40); i >= 0; i--) {
      byte[] chunk = next(previous, random);
      int from = random.nextInt(4);
      byte[] padded = new byte[from + chunk.length + random.nextInt(4)];
      System.arraycopy(chunk, 0, padded, from, chunk.length);
      int text = (textAt.isEmpty() ? 0 : textAt.get(textAt.size() - 1)) + random.nextInt(3);

      int shared = commonEnd(previous, chunk);
      int sharedStart = Arrays.mismatch(previous, chunk);
      sharedStart = sharedStart < 0 ? chunk.length : sharedStart;
      // Any part of them may be known, or none; both may overlap (the same chunk again).
      shared = random.nextInt(3) == 0 ? 0 : random.nextInt(shared + 1);
      sharedStart = random.nextInt(3) == 0 ? 0 : random.nextInt(sharedStart + 1);

      assertThat(stash.add(padded, from, from + chunk.length, text, sharedStart, shared)).isTrue();
      chunks.add(chunk);
      textAt.add(text);
      previous = chunk;
    }

    assertThat(stash.count()).isEqualTo(chunks.size());
    for (int i = 0; i < chunks.size(); i++) {
      stash.rebuildNext();
      assertThat(Arrays.copyOf(stash.chunk(), stash.chunkLength())).isEqualTo(chunks.get(i));
      assertThat(stash.textAt(i)).isEqualTo(textAt.get(i));
    }
  }

  /**
   * Chunks longer than the 16 bits in which a shared start and end are noted, sharing more than
   * that with the one before (known or compared), are rebuilt as they were.
   */
  @Test
  void chunksSharingMoreThanSixtyFourKibibytesAreRebuiltWhole() {
    SplittableRandom random = new SplittableRandom(7);
    for (int round = 0; round < 20; round++) {
      DeferredChunks stash = new DeferredChunks();
      List<byte[]> chunks = new ArrayList<>();
      byte[] previous = new byte[70_000 + random.nextInt(70_000)];
      for (int i = 0; i < previous.length; i++) {
        previous[i] = (byte) random.nextInt(3);
      }
      for (int i = 0; i < 6; i++) {
        byte[] chunk = previous.clone();
        chunk[random.nextInt(chunk.length)] = 9; // one byte differs, anywhere
        int sharedStart = Arrays.mismatch(previous, chunk);
        sharedStart = sharedStart < 0 ? chunk.length : sharedStart;
        boolean known = random.nextBoolean();

        assertThat(
                stash.add(
                    chunk,
                    0,
                    chunk.length,
                    i,
                    i > 0 && known ? sharedStart : 0,
                    i > 0 && known ? commonEnd(previous, chunk) : 0))
            .isTrue();
        chunks.add(chunk);
        previous = chunk;
      }

      for (int i = 0; i < chunks.size(); i++) {
        stash.rebuildNext();
        assertThat(Arrays.copyOf(stash.chunk(), stash.chunkLength())).isEqualTo(chunks.get(i));
        assertThat(stash.textAt(i)).isEqualTo(i);
      }
    }
  }

  @Test
  void chunksAlikeTakeLittleRoom() {
    DeferredChunks stash = new DeferredChunks();
    byte[] chunk =
        ("{\"id\":\"chatcmpl-1\",\"model\":\"gpt-4o\",\"choices\":[{\"delta\":"
                + "{\"content\":\"xx\"}}],\"usage\":null}")
            .getBytes(UTF_8);
    int kept = 0;
    while (stash.add(chunk, 0, chunk.length, 0, 0, 0)) {
      kept++;
      chunk[chunk.length - 20] = (byte) ('a' + kept % 26); // one byte of text changes
    }

    assertThat(kept).isGreaterThan(DeferredChunks.LIMIT / 32);
  }

  @Test
  void stashRefusesAChunkPastItsLimit() {
    DeferredChunks stash = new DeferredChunks();
    byte[] big = new byte[DeferredChunks.LIMIT / 2];

    assertThat(stash.add(big, 0, big.length, 0, 0, 0)).isTrue();
    big[0] = 1;
    big[big.length - 1] = 1; // shares nothing with the one before
    assertThat(stash.add(big, 0, big.length, 0, 0, 0)).isFalse();
    assertThat(stash.count()).isEqualTo(1);
  }

  /** A chunk like {@code previous} (some of its start and end kept), or not like it at all. */
  private static byte[] next(byte[] previous, SplittableRandom random) {
    int start = previous.length == 0 ? 0 : random.nextInt(previous.length + 1);
    int end = random.nextInt(previous.length - start + 1);
    byte[] middle = new byte[random.nextInt(random.nextBoolean() ? 4 : 200)];
    for (int i = 0; i < middle.length; i++) {
      middle[i] = (byte) random.nextInt(4); // few values: long common starts and ends
    }
    byte[] chunk = new byte[start + middle.length + end];
    System.arraycopy(previous, 0, chunk, 0, start);
    System.arraycopy(middle, 0, chunk, start, middle.length);
    System.arraycopy(previous, previous.length - end, chunk, start + middle.length, end);
    return chunk;
  }

  /** How many last bytes {@code a} and {@code b} share. */
  private static int commonEnd(byte[] a, byte[] b) {
    int n = 0;
    while (n < Math.min(a.length, b.length) && a[a.length - 1 - n] == b[b.length - 1 - n]) {
      n++;
    }
    return n;
  }
}
