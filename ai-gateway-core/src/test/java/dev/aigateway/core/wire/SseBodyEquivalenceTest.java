package dev.aigateway.core.wire;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.aigateway.api.CallOutcome;
import dev.aigateway.api.Usage;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.SequenceInputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A chat stream body reads most chunks later, or never (when usage is reported), instead of parsing
 * each as it comes; the application and the listener must not be able to tell, but for the text,
 * which is whole only when it is needed: when no usage came, or it is kept for the log. Each test
 * compares the body with {@link EagerSseReference}, which parses every chunk.
 *
 * <p>The suite checks 4,000 random streams from seed {@code 0x5EED0000} on. A longer hunt checks
 * others: {@code -Dsse.seed=<first seed, a long or 0x hex> -Dsse.streams=<how many>}; a failure
 * names its stream's seed.
 */
@Tag("compute-bound")
class SseBodyEquivalenceTest {

  private static final long FIRST_SEED = Long.decode(System.getProperty("sse.seed", "0x5EED0000"));
  private static final int STREAMS = Integer.parseInt(System.getProperty("sse.streams", "4000"));

  private enum Ending {
    EOF,
    CLOSE,
    FAILURE
  }

  @Test
  void bodyPassesOnAndLearnsWhatEagerReadingDoesOverRandomStreams() throws IOException {
    for (int i = 0; i < STREAMS; i++) {
      checkAgainstEagerReading(FIRST_SEED + i);
    }
  }

  /**
   * Streams read to their end give their scratch state (the framer's buffer, the scanner's kept
   * chunk, the deferred chunks) back for the next streams: read on eight threads at once, every
   * stream still passes on and learns exactly what eager reading does, so no two streams ever held
   * the same scratch and nothing of one stream reached another.
   */
  @Test
  void bodiesReadOnManyThreadsAtOnceShareNoScratch() throws Exception {
    int threads = 8;
    int perThread = Math.max(1, STREAMS / 16);
    java.util.concurrent.ExecutorService pool =
        java.util.concurrent.Executors.newFixedThreadPool(threads);
    try {
      List<java.util.concurrent.Future<?>> runs = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        long first = FIRST_SEED + 1_000_000L * (t + 1);
        runs.add(
            pool.submit(
                () -> {
                  for (int i = 0; i < perThread; i++) {
                    checkAgainstEagerReading(first + i);
                  }
                  return null;
                }));
      }
      for (java.util.concurrent.Future<?> run : runs) {
        run.get(5, java.util.concurrent.TimeUnit.MINUTES);
      }
    } finally {
      pool.shutdownNow();
    }
  }

  @ParameterizedTest(name = "hideUsage={0}")
  @ValueSource(booleans = {true, false})
  void streamLargerThanTheStashIsReadTheSame(boolean hideUsage) throws IOException {
    // Each chunk differs from the one before in 20 KB of text: the stash overflows after ~200.
    StringBuilder stream = new StringBuilder();
    SplittableRandom random = new SplittableRandom(3);
    int chunks = DeferredChunks.LIMIT / 20_000 + 50;
    for (int i = 0; i < chunks; i++) {
      StringBuilder content = new StringBuilder();
      for (int k = 0; k < 2_000; k++) {
        content.append((char) ('a' + random.nextInt(26))).append(k % 7 == 0 ? "é€🌍" : " ");
      }
      stream
          .append("data: {\"id\":\"c\",\"model\":\"m")
          .append(i % 3 == 0 ? "" : i)
          .append("\",\"choices\":[{\"delta\":{\"content\":\"")
          .append(content)
          .append("\"}}],\"usage\":null}\n\n");
    }
    stream.append("data: [DONE]\n\n");
    byte[] sent = stream.toString().getBytes(UTF_8);
    RecordingBodyListener listener = new RecordingBodyListener();
    SseBody body =
        new SseBody(
            new Chopped(sent, 8192, new SplittableRandom(1)),
            listener,
            () -> false,
            false,
            hideUsage);

    byte[] seen = readAll(body, 8192);

    EagerSseReference reference = EagerSseReference.read(sent, sent.length, true, hideUsage);
    assertThat(seen).isEqualTo(hideUsage ? reference.hiddenOutput.toByteArray() : sent);
    ResponseReadout facts = listener.onlyEnd().facts();
    assertThat(facts.text().toString()).isEqualTo(reference.facts.text().toString());
    assertThat(facts.model()).isEqualTo(reference.facts.model());
    assertThat(facts.contentFiltered()).isEqualTo(reference.facts.contentFiltered());
  }

  @Test
  void textIsNotReadWhenUsageIsReportedAndNotKept() throws IOException {
    String stream =
        "data: {\"model\":\"m\",\"choices\":[{\"delta\":{\"content\":\"a\"}}],"
            + "\"usage\":null}\n\n"
            + "data: {\"model\":\"m\",\"choices\":[],\"usage\":{\"prompt_tokens\":2,"
            + "\"completion_tokens\":1,\"total_tokens\":3}}\n\n"
            + "data: [DONE]\n\n";
    RecordingBodyListener listener = new RecordingBodyListener();
    SseBody body =
        new SseBody(
            new Chopped(stream.getBytes(UTF_8), 5, new SplittableRandom(1)),
            listener,
            () -> false,
            false,
            true);

    readAll(body, 64);

    ResponseReadout facts = listener.onlyEnd().facts();
    assertThat(facts.usage()).isEqualTo(Usage.of(2, 1));
    assertThat(facts.model()).isEqualTo("m");
    assertThat(facts.text().toString()).isEmpty();
  }

  @Test
  void textIsReadBeforeTheListenerHearsOfAFailure() throws IOException {
    byte[] sent =
        ("data: {\"model\":\"m\",\"choices\":[{\"delta\":{\"content\":\"a\"}}]}\n\n"
                + "data: {\"model\":\"m\",\"choices\":[{\"delta\":{\"content\":\"b\"}}]}\n\n"
                + "data: {\"model\":\"m\",\"choices\":[{\"delta\":{\"content\":\"c\"}}]}\n\n")
            .getBytes(UTF_8);
    RecordingBodyListener listener = new RecordingBodyListener();
    Chopped upstream = new Chopped(sent, 7, new SplittableRandom(1)).failingAfter(sent.length - 3);
    SseBody body = new SseBody(upstream, listener, () -> false, false, true);

    assertThatThrownBy(() -> readAll(body, 64)).isSameAs(upstream.failure);

    assertThat(listener.onlyEnd().outcome()).isEqualTo(CallOutcome.TRUNCATED);
    assertThat(listener.onlyEnd().facts().text().toString()).isEqualTo("ab");
  }

  @Test
  void modelOfTheLastChunkNamingOneWinsWhetherChunksAreParsedOrNot() throws IOException {
    String stream =
        "data: {\"model\":\"a\",\"choices\":[{\"delta\":{\"content\":\"x\"}}]}\n\n"
            + "data: {\"model\":\"b\",\"choices\":[{\"delta\":{\"content\":\"y\"}}]}\n\n"
            + "data: {\"model\":\"b\",\"choices\":[],\"usage\":{\"prompt_tokens\":1}}\n\n"
            + "data: {\"model\":\"c\\u00e9\",\"choices\":[{\"delta\":{\"content\":\"z\"}}]}\n\n"
            + "data: {\"choices\":[{\"delta\":{\"content\":\"w\"}}]}\n\n"
            + "data: {\"model\":\"d\",\"choices\":[{\"delta\":{\"content\":\"v\"}}]}\n\n"
            + "data: {\"model\":7,\"choices\":[{\"delta\":{\"content\":\"u\"}}]}\n\n"
            + "data: [DONE]\n\n";
    RecordingBodyListener listener = new RecordingBodyListener();
    SseBody body =
        new SseBody(
            new Chopped(stream.getBytes(UTF_8), 9, new SplittableRandom(1)),
            listener,
            () -> false,
            false,
            false);

    readAll(body, 64);

    assertThat(listener.onlyEnd().facts().model()).isEqualTo("d");
  }

  /**
   * Chunks like the one before are found by comparing them with it, not by scanning for their line
   * end; whatever follows such a chunk on its line or after it, the body reads the event as it
   * would any other.
   */
  @ParameterizedTest(name = "ending {index}")
  @ValueSource(
      strings = {
        "\r\r\n\r\n", // a carriage return ending the data
        "\r\n\r\n",
        "\n\r\n",
        "\r\n\n",
        "\nid: 7\n\n", // another field after the data
        "\ndata: {}\n\n", // a second data line
        " x\n\n", // more on the line
        "\n: ping\n\n",
        "\ndata: [DONE]\n\n", // no blank line
        "\r\r\n"
      })
  void chunkLikeTheOneBeforeIsFramedAsAnyEvent(String ending) throws IOException {
    assertReadAsEagerlyInPieces(
        wordStream(6, 3, ending, "data: [DONE]\n\n"),
        new int[] {1, 40, 8192},
        new boolean[] {false},
        ending);
  }

  /**
   * A stream's end marker is read at once when it is one data line {@code [DONE]} plainly framed,
   * without the framer; whatever its line holds or whatever follows it, the body reads the last
   * event as it would any other (complete or not, passed on as it came).
   */
  @ParameterizedTest(name = "last event {index}")
  @ValueSource(
      strings = {
        "data: [DONE]\n\n",
        "data:[DONE]\n\n",
        "data: [DONE]\r\n\r\n",
        "data: [DONE]\r\r\n",
        "data: [DONE]\r\r",
        "data: [DONE]\n\r\n",
        "data: [DONE]",
        "data: [DONE]\n",
        "data: [DONE] \n\n",
        "data: [DONE]x\n\n",
        "data: [DONE\n\n",
        "data: [DON\n\n",
        "data: [DONE]\nid: 3\n\n",
        "data: [DONE]\ndata: [DONE]\n\n",
        "data: [1,2]\n\n",
        "data: [DONE]\n\ndata: [DONE]\n\n",
        "data: [DONE]\n\n: after\n\n"
      })
  void endMarkerIsReadAsAnyEvent(String last) throws IOException {
    assertReadAsEagerlyInPieces(
        wordStream(4, -1, "", last), new int[] {1, 7, 40, 8192}, new boolean[] {true, false}, last);
  }

  /**
   * A stream of {@code chunks} chat chunks like each other (texts {@code word0}, {@code word1},
   * ..., each with a null usage), each ended by a blank line but the one at {@code oddOne}, ended
   * by {@code oddEnding}; then the usage-only chunk (3 prompt tokens, as many completion tokens as
   * chunks) and {@code last}.
   */
  private static byte[] wordStream(int chunks, int oddOne, String oddEnding, String last) {
    String chunk =
        "data: {\"model\":\"m\",\"choices\":[{\"delta\":{\"content\":\"%s\"}}],"
            + "\"usage\":null}";
    StringBuilder stream = new StringBuilder();
    for (int i = 0; i < chunks; i++) {
      stream.append(String.format(chunk, "word" + i)).append(i == oddOne ? oddEnding : "\n\n");
    }
    stream
        .append("data: {\"model\":\"m\",\"choices\":[],\"usage\":{\"prompt_tokens\":3,")
        .append("\"completion_tokens\":")
        .append(chunks)
        .append("}}\n\n")
        .append(last);
    return stream.toString().getBytes(UTF_8);
  }

  /**
   * {@link #assertReadAsEagerly} for {@code sent}, hiding usage or not, in pieces of up to each of
   * {@code largests} bytes, read into scratch room or not as {@code scratches} say.
   */
  private static void assertReadAsEagerlyInPieces(
      byte[] sent, int[] largests, boolean[] scratches, String what) throws IOException {
    for (boolean hideUsage : new boolean[] {true, false}) {
      for (int largest : largests) {
        for (boolean scratch : scratches) {
          assertReadAsEagerly(
              sent,
              hideUsage,
              largest,
              scratch,
              what
                  + ", hideUsage "
                  + hideUsage
                  + ", pieces of up to "
                  + largest
                  + ", scratch "
                  + scratch);
        }
      }
    }
  }

  /**
   * A stream whose chunks like the kept one fill the chunks kept for their text past their bound
   * ({@link DeferredChunks#LIMIT}): from there on, each chunk is read at once, and the application
   * and the listener still get what eager reading gives, read in place or not.
   */
  @Test
  void chunksPastTheDeferralsBoundAreReadAtOnce() throws IOException {
    String head =
        "data: {\"id\":\"chatcmpl-9\",\"object\":\"chat.completion.chunk\",\"created\":1733000000,"
            + "\"model\":\"gpt-4o-mini\",\"choices\":[{\"index\":0,\"delta\":";
    String tail = ",\"finish_reason\":null}],\"usage\":null}\n\n";
    StringBuilder stream =
        new StringBuilder(head + "{\"role\":\"assistant\",\"content\":\"\"}" + tail);
    String text = "x".repeat(1000);
    int chunks = DeferredChunks.LIMIT / text.length() + 50;
    for (int i = 0; i < chunks; i++) {
      stream
          .append(head)
          .append("{\"content\":\"")
          .append(i)
          .append(text)
          .append("\"}")
          .append(tail);
    }
    stream
        .append(head, 0, head.indexOf("[{"))
        .append("[],\"usage\":{\"prompt_tokens\":7,\"completion_tokens\":")
        .append(chunks)
        .append(",\"total_tokens\":")
        .append(chunks + 7)
        .append("}}\n\ndata: [DONE]\n\n");
    byte[] sent = stream.toString().getBytes(UTF_8);
    for (boolean scratch : new boolean[] {true, false}) {
      assertReadAsEagerly(sent, true, 8192, scratch, "scratch " + scratch);
    }
  }

  /**
   * Reads {@code sent} through a chat stream body, upstream in pieces of up to {@code largest}
   * bytes, the text kept, into the application's buffer ({@code scratch}: {@link
   * SseBody#readScratch}, so in place when hiding) or through {@link SseBody#read}; checks that the
   * application and the listener got what eager reading gives.
   */
  private static void assertReadAsEagerly(
      byte[] sent, boolean hideUsage, int largest, boolean scratch, String as) throws IOException {
    RecordingBodyListener listener = new RecordingBodyListener();
    SseBody body =
        new SseBody(
            new Chopped(sent, largest, new SplittableRandom(largest)),
            listener,
            () -> false,
            false,
            hideUsage);
    body.keepText();
    ByteArrayOutputStream seen = new ByteArrayOutputStream();
    byte[] buffer = new byte[8192];
    for (int n;
        (n = scratch ? body.readScratch(buffer, 0, buffer.length) : body.read(buffer, 0, 8192))
            != -1; ) {
      seen.write(buffer, 0, n);
    }

    EagerSseReference reference = EagerSseReference.read(sent, sent.length, true, hideUsage);
    assertThat(seen.toString(UTF_8))
        .as(as)
        .isEqualTo(hideUsage ? reference.hiddenOutput.toString(UTF_8) : new String(sent, UTF_8));
    ResponseReadout facts = listener.onlyEnd().facts();
    assertThat(facts.usage()).as(as).isEqualTo(reference.facts.usage());
    assertThat(facts.model()).as(as).isEqualTo(reference.facts.model());
    assertThat(facts.contentFiltered()).as(as).isEqualTo(reference.facts.contentFiltered());
    assertThat(facts.complete()).as(as).isEqualTo(reference.facts.complete());
    assertThat(facts.text().toString()).as(as).isEqualTo(reference.facts.text().toString());
  }

  /**
   * Chunks of a shape learnt from another stream (the role chunk, the first text, the finish and
   * usage chunks) are found by matching the shape, not by scanning for their line end; whatever
   * follows such a chunk on its line or after it, the body reads the event as it would any other.
   */
  @ParameterizedTest(name = "ending {index}")
  @ValueSource(
      strings = {
        "\r\r\n\r\n",
        "\r\n\r\n",
        "\n\r\n",
        "\r\n\n",
        "\nid: 7\n\n",
        "\ndata: {}\n\n",
        " x\n\n",
        "\n: ping\n\n",
        "\ndata: [DONE]\n\n",
        "\r\r\n",
        "\n"
      })
  void chunkOfALearntShapeIsFramedAsAnyEvent(String ending) throws IOException {
    String head =
        "data: {\"id\":\"chatcmpl-%d\",\"object\":\"chat.completion.chunk\",\"created\":%d,"
            + "\"model\":\"gpt-4o-mini\",\"choices\":";
    String[] choices = {
      "[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\"},"
          + "\"finish_reason\":null}],\"usage\":null}",
      "[{\"index\":0,\"delta\":{\"content\":\"Hi\"},\"finish_reason\":null}],\"usage\":null}",
      "[{\"index\":0,\"delta\":{\"content\":\" there\"},\"finish_reason\":null}],\"usage\":null}",
      "[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}],\"usage\":null}",
      "[],\"usage\":{\"prompt_tokens\":%d,\"completion_tokens\":2,\"total_tokens\":%d}}"
    };
    for (int at : new int[] {0, 1, 3, 4}) {
      for (int n = 0; n < 3; n++) { // the first stream teaches the shapes, if not taught yet
        boolean changed = n == 2;
        StringBuilder stream = new StringBuilder();
        for (int i = 0; i < choices.length; i++) {
          String chunk = String.format(head, 1000 + n, 1_733_000_000 + n) + choices[i];
          stream
              .append(i == 4 ? String.format(chunk, 7 + n, 9 + n) : chunk)
              .append(changed && i == at ? ending : "\n\n");
        }
        stream.append("data: [DONE]\n\n");
        byte[] sent = stream.toString().getBytes(UTF_8);
        for (boolean hideUsage : new boolean[] {true, false}) {
          for (int largest : new int[] {1, 40, 8192}) {
            assertReadAsEagerly(
                sent,
                hideUsage,
                largest,
                true,
                "after chunk " + at + ", hideUsage " + hideUsage + ", pieces " + largest);
          }
        }
      }
    }
  }

  /**
   * Read into the application's buffer where the bytes came (hiding usage): whatever the offset
   * where the stream is split between two reads, and whether the application reads into large
   * buffers (in place) or now and then into small ones (through the body's own buffer), it sees
   * what eager reading gives, and no byte of its array before the offset it read at is written.
   */
  @Test
  void streamsReadInPlaceAreReadTheSameWhereverAReadEnds() throws IOException {
    for (long seed = 0; seed < 6; seed++) {
      byte[] sent = new RandomChatStream(0xC0FFEEL + seed).stream();
      EagerSseReference reference = EagerSseReference.read(sent, sent.length, true, true);
      byte[] expected = reference.hiddenOutput.toByteArray();
      SplittableRandom random = new SplittableRandom(seed);
      for (int split = 0; split <= sent.length; split++) {
        RecordingBodyListener listener = new RecordingBodyListener();
        InputStream upstream =
            new SequenceInputStream(
                new ByteArrayInputStream(sent, 0, split),
                new Chopped(Arrays.copyOfRange(sent, split, sent.length), 600, random.split()));
        SseBody body = new SseBody(upstream, listener, () -> false, false, true);
        boolean keepText = random.nextBoolean();
        if (keepText) {
          body.keepText();
        }
        ByteArrayOutputStream seen = new ByteArrayOutputStream();
        byte[] array = new byte[9000];
        boolean beforeOffsetIntact = true;
        boolean restIntact = true; // InputStream.read's contract, kept by read (not readScratch)
        while (true) {
          int off = random.nextInt(64);
          int len = random.nextInt(8) == 0 ? 1 + random.nextInt(160) : 128 + random.nextInt(8000);
          Arrays.fill(array, (byte) 7);
          boolean scratch = random.nextInt(4) != 0;
          int n = scratch ? body.readScratch(array, off, len) : body.read(array, off, len);
          for (int i = 0; i < off; i++) {
            beforeOffsetIntact &= array[i] == 7;
          }
          if (!scratch) {
            for (int i = off + Math.max(n, 0); i < array.length; i++) {
              restIntact &= array[i] == 7;
            }
          }
          if (n < 0) {
            break;
          }
          seen.write(array, off, n);
        }
        String as = "seed " + seed + ", split " + split;
        assertThat(beforeOffsetIntact).as(as).isTrue();
        assertThat(restIntact).as(as).isTrue();
        assertThat(seen.toByteArray()).as(as).isEqualTo(expected);
        ResponseReadout facts = listener.onlyEnd().facts();
        assertThat(facts.usage()).as(as).isEqualTo(reference.facts.usage());
        assertThat(facts.model()).as(as).isEqualTo(reference.facts.model());
        assertThat(facts.contentFiltered()).as(as).isEqualTo(reference.facts.contentFiltered());
        assertThat(facts.complete()).as(as).isEqualTo(reference.facts.complete());
        if (reference.facts.usage() == null || keepText) {
          assertThat(facts.text().toString()).as(as).isEqualTo(reference.facts.text().toString());
        }
      }
    }
  }

  @ParameterizedTest(name = "split after the data line: {0}")
  @ValueSource(booleans = {false, true})
  void eventsReadOneAtATimeWithShorterTextThanTheChunkKeptAreReadTheSame(boolean splitLine)
      throws IOException {
    // As a backend that flushes every event sends them: each read ends at an event's end (or,
    // split, after its data line), and the chunks' text gets shorter than the chunk kept's.
    String chunk =
        "data: {\"model\":\"m\",\"choices\":[{\"delta\":{\"content\":\"%s\"}}],"
            + "\"usage\":null}%s";
    List<String> events = new ArrayList<>();
    String[] words = {"", "Hello everyone", "Hi", "x", "a longer piece of text", "", "ok", "."};
    for (int i = 0; i < words.length; i++) {
      events.add(String.format(chunk, words[i], i % 3 == 2 ? "\r\n\r\n" : "\n\n"));
    }
    events.add(
        "data: {\"model\":\"m\",\"choices\":[],\"usage\":{\"prompt_tokens\":3,"
            + "\"completion_tokens\":8}}\n\n");
    events.add("data: [DONE]\n\n");
    List<byte[]> reads = new ArrayList<>();
    for (String event : events) {
      int lineEnd = event.indexOf('\n') + 1;
      if (splitLine && lineEnd < event.length()) {
        reads.add(event.substring(0, lineEnd).getBytes(UTF_8));
        reads.add(event.substring(lineEnd).getBytes(UTF_8));
      } else {
        reads.add(event.getBytes(UTF_8));
      }
    }
    byte[] sent = String.join("", events).getBytes(UTF_8);
    for (boolean hideUsage : new boolean[] {true, false}) {
      RecordingBodyListener listener = new RecordingBodyListener();
      java.util.Iterator<byte[]> next = reads.iterator();
      InputStream oneReadAtATime =
          new InputStream() {
            private byte[] current = new byte[0];
            private int position;

            @Override
            public int read() {
              throw new UnsupportedOperationException();
            }

            @Override
            public int read(byte[] b, int off, int len) {
              if (position == current.length) {
                if (!next.hasNext()) {
                  return -1;
                }
                current = next.next();
                position = 0;
              }
              int n = Math.min(len, current.length - position);
              System.arraycopy(current, position, b, off, n);
              position += n;
              return n;
            }
          };
      SseBody body = new SseBody(oneReadAtATime, listener, () -> false, false, hideUsage);
      body.keepText();

      byte[] seen = readAll(body, 8192);

      EagerSseReference reference = EagerSseReference.read(sent, sent.length, true, hideUsage);
      String as = "hideUsage " + hideUsage;
      assertThat(new String(seen, UTF_8))
          .as(as)
          .isEqualTo(hideUsage ? reference.hiddenOutput.toString(UTF_8) : new String(sent, UTF_8));
      ResponseReadout facts = listener.onlyEnd().facts();
      assertThat(facts.usage()).as(as).isEqualTo(reference.facts.usage());
      assertThat(facts.model()).as(as).isEqualTo(reference.facts.model());
      assertThat(facts.contentFiltered()).as(as).isEqualTo(reference.facts.contentFiltered());
      assertThat(facts.text().toString()).as(as).isEqualTo(reference.facts.text().toString());
      assertThat(facts.text().toString()).as(as).isEqualTo(String.join("", words));
    }
  }

  /**
   * Runs one random stream through the body (hiding usage or not, the text kept or not, read to its
   * end, closed early or failing) and compares what the application and the listener got with what
   * eager reading gives for the bytes the body read.
   */
  private static void checkAgainstEagerReading(long seed) throws IOException {
    SplittableRandom random = new SplittableRandom(seed);
    byte[] sent = new RandomChatStream(seed).stream();
    boolean hideUsage = random.nextBoolean();
    boolean keepText = random.nextInt(4) == 0;
    Ending ending = Ending.values()[random.nextInt(6) < 4 ? 0 : 1 + random.nextInt(2)];
    int stopAt = random.nextInt(sent.length + 1);
    int largestRead = new int[] {7, 64, 8192}[random.nextInt(3)];
    Chopped upstream = new Chopped(sent, largestRead, random.split());
    if (ending == Ending.FAILURE) {
      upstream.failingAfter(stopAt);
    }
    RecordingBodyListener listener = new RecordingBodyListener();
    SseBody body = new SseBody(upstream, listener, () -> false, false, hideUsage);
    if (keepText) {
      body.keepText();
    }

    ByteArrayOutputStream seen = new ByteArrayOutputStream();
    boolean atEnd = false;
    try {
      while (ending != Ending.CLOSE || seen.size() < stopAt) {
        byte[] buffer = new byte[1 + random.nextInt(random.nextBoolean() ? 16 : 9000)];
        int n =
            random.nextInt(20) == 0 ? readOne(body, buffer) : body.read(buffer, 0, buffer.length);
        if (n < 0) {
          atEnd = true;
          break;
        }
        seen.write(buffer, 0, n);
      }
    } catch (IOException e) {
      assertThat(e).as("seed %d", seed).isSameAs(upstream.failure);
    }
    body.close();

    EagerSseReference reference =
        EagerSseReference.read(sent, upstream.position, upstream.ended, hideUsage);
    ResponseReadout expected = reference.facts;
    String as =
        "seed "
            + seed
            + ", hideUsage "
            + hideUsage
            + ", "
            + ending
            + ", stream:\n"
            + new String(sent, UTF_8);
    assertThat(listener.ends).as(as).hasSize(1);
    assertThat(listener.firstBytes)
        .as(as)
        .isEqualTo(sent.length > 0 && upstream.position > 0 ? 1 : 0);
    RecordingBodyListener.End end = listener.ends.get(0);
    CallOutcome outcome =
        ending == Ending.FAILURE
            ? CallOutcome.TRUNCATED
            : expected.complete()
                    // closed once the application was handed the end marker's data line
                    || (!hideUsage && !upstream.ended && reference.endMarkerLineInFlight)
                ? CallOutcome.SUCCESS
                : upstream.ended ? CallOutcome.TRUNCATED : CallOutcome.CANCELLED;
    assertThat(end.outcome()).as(as).isEqualTo(outcome);
    byte[] expectedOutput =
        hideUsage ? reference.hiddenOutput.toByteArray() : Arrays.copyOf(sent, upstream.position);
    if (atEnd || !hideUsage) {
      assertThat(seen.toByteArray()).as(as).isEqualTo(expectedOutput);
    } else { // what the body holds for the application was not read
      assertThat(expectedOutput).as(as).startsWith(seen.toByteArray());
    }
    ResponseReadout facts = end.facts();
    assertThat(facts.usage()).as(as).isEqualTo(expected.usage());
    assertThat(facts.model()).as(as).isEqualTo(expected.model());
    assertThat(facts.complete()).as(as).isEqualTo(expected.complete());
    assertThat(facts.contentFiltered()).as(as).isEqualTo(expected.contentFiltered());
    if (expected.usage() == null || keepText) {
      assertThat(facts.text().toString()).as(as).isEqualTo(expected.text().toString());
    }
  }

  private static int readOne(InputStream in, byte[] buffer) throws IOException {
    int b = in.read();
    if (b >= 0) {
      buffer[0] = (byte) b;
    }
    return b < 0 ? -1 : 1;
  }

  private static byte[] readAll(InputStream in, int bufferSize) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    byte[] buffer = new byte[bufferSize];
    int n;
    while ((n = in.read(buffer, 0, buffer.length)) != -1) {
      out.write(buffer, 0, n);
    }
    return out.toByteArray();
  }

  /** Serves bytes in random pieces of 1 to {@code largest} bytes; can fail after some bytes. */
  private static final class Chopped extends InputStream {
    private final byte[] data;
    private final int largest;
    private final SplittableRandom random;
    private int failAfter = -1;
    final IOException failure = new IOException("connection reset");
    int position;

    /** Whether it told its reader that it has no more bytes. */
    boolean ended;

    Chopped(byte[] data, int largest, SplittableRandom random) {
      this.data = data;
      this.largest = largest;
      this.random = random;
    }

    Chopped failingAfter(int bytes) {
      failAfter = bytes;
      return this;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      if (failAfter >= 0 && position >= failAfter) {
        throw failure;
      }
      if (position == data.length) {
        ended = true;
        return -1;
      }
      int limit = failAfter >= 0 ? Math.min(failAfter, data.length) : data.length;
      int n = Math.min(Math.min(len, 1 + random.nextInt(largest)), limit - position);
      System.arraycopy(data, position, b, off, n);
      position += n;
      return n;
    }

    @Override
    public int read() {
      throw new UnsupportedOperationException();
    }
  }
}
