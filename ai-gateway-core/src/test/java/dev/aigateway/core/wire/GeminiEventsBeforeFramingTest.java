package dev.aigateway.core.wire;

import static org.assertj.core.api.Assertions.assertThat;

import dev.aigateway.api.CallOutcome;
import dev.aigateway.api.Usage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * A Gemini event stream whose events are read against the template before they are framed ({@link
 * SseBody.OneLineReader}) passes on its bytes unchanged and learns what parsing each event's data,
 * framed by the SSE rules, learns: random streams of random responses ({@link
 * GeminiResponsesTest.Shape}: escapes, counts near and beyond {@link Long#MAX_VALUE}, a finish
 * reason anywhere, cut responses), each line ended by a line feed, a carriage return and a line
 * feed, or a lone carriage return, with other lines, several data lines, raw line breaks inside the
 * JSON and streams cut anywhere, read in one read, in small pieces, or in two reads split at every
 * offset.
 */
@Tag("compute-bound")
class GeminiEventsBeforeFramingTest {

  private static final String[] ENDINGS = {"\n", "\r\n", "\r"};

  @Test
  void randomStreamsLearnWhatTheParserLearnsFromTheFramedEventsWhateverTheReads()
      throws IOException {
    Random random = new Random(1504);
    long found = 0;
    long events = 0;
    for (int s = 0; s < 1500; s++) {
      boolean keepText = random.nextInt(8) == 0;
      byte[] stream = randomStream(random);
      int reads = s % 3;
      int[] cuts =
          reads == 0
              ? new int[0] // one read, framed in place
              : reads == 1
                  ? pieces(random, stream.length)
                  : new int[] {random.nextInt(stream.length + 1)};
      Read read =
          read(stream, cuts, random.nextInt(8) == 0 ? 1 + random.nextInt(64) : 8192, keepText);
      assertLikeReference(stream, keepText, read, "stream " + s);
      found += read.responses.foundReads();
      events += read.responses.templateReads();
    }
    assertThat(events).as("events read against a template").isGreaterThan(1_500);
    assertThat(found).as("of them, read before they were framed").isGreaterThan(1_000);
  }

  @Test
  void streamsSplitInTwoAtEveryOffsetAreReadAsTheParserReadsThem() throws IOException {
    Random random = new Random(1505);
    long found = 0;
    for (int s = 0; s < 12; s++) {
      byte[] stream = randomStream(random);
      boolean keepText = s % 4 == 3;
      for (int cut = 0; cut <= stream.length; cut++) {
        Read read = read(stream, new int[] {cut}, 8192, keepText);
        assertLikeReference(stream, keepText, read, "stream " + s + " cut at " + cut);
        found += read.responses.foundReads();
      }
    }
    assertThat(found).as("events read before they were framed").isGreaterThan(1_000);
  }

  @Test
  void googlesStreamIsReadBeforeFramingAfterItsFirstEventWhenItsLinesEndInLineFeeds()
      throws IOException {
    String[][] framings = {
      {"\r\n", "\r\n"}, {"\n", "\n"}, {"\r\n", "\n"}, {"\n", "\r\n"}, {"\r", "\r"}, {"\r\n", "\r"}
    };
    for (String[] framing : framings) {
      StringBuilder events = new StringBuilder();
      for (int i = 0; i < 20; i++) {
        events.append("data: ").append(googleChunk(i, i == 19)).append(framing[0]);
        events.append(framing[1]);
      }
      byte[] stream = events.toString().getBytes(StandardCharsets.UTF_8);
      Read read = read(stream, new int[0], 8192, false);
      String what = Arrays.toString(framing).replace("\r", "CR").replace("\n", "LF");
      assertLikeReference(stream, false, read, what);
      assertThat(read.end.outcome()).as(what).isEqualTo(CallOutcome.SUCCESS);
      assertThat(read.end.facts().usage()).as(what).isEqualTo(new Usage(14, 20, 34, 0, 0));
      // the first event is walked and kept; every later one, the last with its finish reason
      // too, is read before it is framed, unless its line or blank line ends in a lone carriage
      // return (framed by the framer's exact path, then read against the template)
      boolean plain = !framing[0].equals("\r") && !framing[1].equals("\r");
      assertThat(read.responses.templateReads()).as(what).isEqualTo(19);
      assertThat(read.responses.foundReads()).as(what).isEqualTo(plain ? 19 : 0);
    }
  }

  @Test
  void aLastEventWithoutItsBlankLineIsReadWhenTheStreamEnds() throws IOException {
    for (String tail : new String[] {"", "\r", "\n", "\r\n", "\r\n\r"}) {
      StringBuilder events = new StringBuilder();
      for (int i = 0; i < 4; i++) {
        events.append("data: ").append(googleChunk(i, i == 3)).append(i < 3 ? "\r\n\r\n" : tail);
      }
      byte[] stream = events.toString().getBytes(StandardCharsets.UTF_8);
      Read read = read(stream, new int[0], 8192, false);
      String what = tail.replace("\r", "CR").replace("\n", "LF");
      assertLikeReference(stream, false, read, what);
      assertThat(read.end.facts().usage()).as(what).isEqualTo(new Usage(14, 4, 18, 0, 0));
      assertThat(read.end.outcome()).as(what).isEqualTo(CallOutcome.SUCCESS);
      assertThat(read.responses.foundReads()).as(what).isEqualTo(2); // not the unframed last one
    }
  }

  @Test
  void aFinishReasonAddedAcrossALineBreakIsNotReadAsOneLine() throws IOException {
    // The last response adds its finish reason after a raw line break: the data line ends at the
    // comma, and the next line is no data line, so the event's data is a cut response that
    // teaches nothing; read before framing, the template would have taken it as whole.
    for (String lineBreak : new String[] {"\n", "\r\n", "\r"}) {
      StringBuilder events = new StringBuilder();
      for (int i = 0; i < 3; i++) {
        events.append("data: ").append(googleChunk(i, false)).append("\r\n\r\n");
      }
      String last =
          googleChunk(3, false)
              .replace(",\"index\":0}", ",\"index\":0," + lineBreak + "\"finishReason\":\"STOP\"}");
      events.append("data: ").append(last).append("\r\n\r\n");
      byte[] stream = events.toString().getBytes(StandardCharsets.UTF_8);
      Read read = read(stream, new int[0], 8192, false);
      String what = lineBreak.replace("\r", "CR").replace("\n", "LF");
      assertLikeReference(stream, false, read, what);
      assertThat(read.end.outcome()).as(what).isEqualTo(CallOutcome.TRUNCATED);
      assertThat(read.end.facts().usage()).as(what).isEqualTo(new Usage(14, 3, 17, 0, 0));
      assertThat(read.responses.foundReads()).as(what).isEqualTo(2);
    }
  }

  /** What one body read: the responses reader it was given, the bytes passed on, its end. */
  private record Read(GeminiResponses responses, byte[] passed, RecordingBodyListener.End end) {}

  /**
   * Reads {@code stream} through an event body of Gemini's reader, upstream serving it in pieces
   * cut at {@code cuts} (one read when there are none), the application reading into a buffer of
   * {@code bufferSize} bytes.
   */
  private static Read read(byte[] stream, int[] cuts, int bufferSize, boolean keepText)
      throws IOException {
    GeminiResponses responses = new GeminiResponses();
    RecordingBodyListener listener = new RecordingBodyListener();
    ByteArrayOutputStream passed = new ByteArrayOutputStream();
    try (SseBody body =
        new SseBody(new CutInputStream(stream, cuts), listener, () -> false, responses)) {
      if (keepText) {
        body.keepText();
      }
      byte[] buffer = new byte[bufferSize];
      for (int n; (n = body.read(buffer, 0, buffer.length)) >= 0; ) {
        passed.write(buffer, 0, n);
      }
    }
    return new Read(responses, passed.toByteArray(), listener.onlyEnd());
  }

  /**
   * Checks that the body passed on the stream's bytes and learnt what {@link #reference} learns,
   * and ended the call as complete exactly when the reference is.
   */
  private static void assertLikeReference(byte[] stream, boolean keepText, Read read, String what) {
    String shown = what + ": " + new String(stream, StandardCharsets.UTF_8);
    ResponseReadout expected = reference(stream, keepText);
    ResponseReadout actual = read.end.facts();
    assertThat(read.passed).as(shown).isEqualTo(stream);
    ByteReadersTest.assertSame(shown, actual, expected);
    assertThat(read.end.outcome())
        .as(shown)
        .isEqualTo(expected.complete() ? CallOutcome.SUCCESS : CallOutcome.TRUNCATED);
  }

  /**
   * What the stream teaches read by the SSE rules, written out here: lines end with a line feed, a
   * carriage return, or both; an event ends at a blank line (or the stream's end); its data lines'
   * values (after {@code data:} and one optional space, or a bare {@code data}) are joined by line
   * feeds; each event's data is parsed ({@link GeminiFormat#readResponse}), {@code [DONE]} marks
   * the answer complete.
   */
  private static ResponseReadout reference(byte[] stream, boolean keepText) {
    ResponseReadout readout = new ResponseReadout();
    if (keepText) {
      readout.keepText();
    }
    ByteArrayOutputStream data = new ByteArrayOutputStream();
    boolean hasData = false;
    int i = 0;
    while (i < stream.length) {
      int end = i;
      while (end < stream.length && stream[end] != '\n' && stream[end] != '\r') {
        end++;
      }
      int next = end;
      if (end < stream.length) {
        next =
            stream[end] == '\r' && end + 1 < stream.length && stream[end + 1] == '\n'
                ? end + 2
                : end + 1;
      }
      if (end == i && end < stream.length) {
        if (hasData) {
          dispatch(readout, data.toByteArray());
        }
        data.reset();
        hasData = false;
      } else {
        String line = new String(stream, i, end - i, StandardCharsets.ISO_8859_1);
        if (line.equals("data") || line.startsWith("data:")) {
          int from = line.equals("data") ? end : line.startsWith("data: ") ? i + 6 : i + 5;
          if (hasData) {
            data.write('\n');
          }
          data.write(stream, from, end - from);
          hasData = true;
        }
      }
      i = next;
    }
    if (hasData) {
      dispatch(readout, data.toByteArray()); // the last event, without its blank line
    }
    readout.streamEnded();
    return readout;
  }

  private static void dispatch(ResponseReadout readout, byte[] data) {
    if (new String(data, StandardCharsets.ISO_8859_1).equals("[DONE]")) {
      readout.markComplete();
    } else {
      GeminiFormat.readResponse(readout, data, 0, data.length);
    }
  }

  /**
   * A random stream: responses of one random shape, each line ended as the stream's framing says
   * (all by one of {@link #ENDINGS}, or each at random), sometimes with a comment or an {@code
   * event} line before the data, an {@code id} line or a second data line after it, the data over
   * two lines, a raw line break inside the response, spaces after it, a blank line more, a {@code
   * [DONE]} event; sometimes cut anywhere.
   */
  private static byte[] randomStream(Random random) {
    GeminiResponsesTest.Shape shape = GeminiResponsesTest.Shape.random(random);
    int framing = random.nextInt(5); // 0-2: one ending throughout; 3, 4: each at random
    int events = 2 + random.nextInt(10);
    boolean odd = random.nextInt(3) == 0;
    StringBuilder stream = new StringBuilder();
    for (int e = 0; e < events; e++) {
      String response = shape.response(random, e, e == events - 1);
      if (odd && random.nextInt(6) == 0) {
        stream.append(random.nextBoolean() ? ": keep-alive" : "event: message");
        stream.append(ending(random, framing));
      }
      if (odd && random.nextInt(8) == 0) {
        int comma = response.indexOf(',', random.nextInt(response.length()));
        if (comma > 0) {
          // a raw line break after a comma: two data lines (their data joined by a line feed),
          // or a data line and a line that is not one
          String rest = response.substring(comma + 1);
          response =
              response.substring(0, comma + 1)
                  + ending(random, framing)
                  + (random.nextBoolean() ? "data: " : "")
                  + rest;
        }
      }
      stream.append(odd && random.nextInt(10) == 0 ? "data:" : "data: ").append(response);
      if (odd && random.nextInt(10) == 0) {
        stream.append("  ");
      }
      stream.append(ending(random, framing));
      if (odd && random.nextInt(8) == 0) {
        stream.append("id: ").append(e).append(ending(random, framing));
      }
      if (odd && random.nextInt(10) == 0) {
        // a second data line after a whole response (joined to it by a line feed)
        String[] more = {"", "{}", "x", response};
        stream.append("data: ").append(more[random.nextInt(more.length)]);
        stream.append(ending(random, framing));
      }
      if (odd && random.nextInt(20) == 0) {
        stream
            .append(ending(random, framing))
            .append("data: [DONE]")
            .append(ending(random, framing));
      }
      stream.append(ending(random, framing));
      if (odd && random.nextInt(10) == 0) {
        stream.append(ending(random, framing));
      }
    }
    byte[] bytes = stream.toString().getBytes(StandardCharsets.UTF_8);
    return random.nextInt(6) == 0 ? Arrays.copyOf(bytes, random.nextInt(bytes.length + 1)) : bytes;
  }

  private static String ending(Random random, int framing) {
    return ENDINGS[
        framing < ENDINGS.length ? framing : random.nextInt(10) < 8 ? 1 : random.nextInt(3)];
  }

  /** Random cuts: pieces of 1 to 400 bytes. */
  private static int[] pieces(Random random, int length) {
    int[] cuts = new int[length];
    int n = 0;
    for (int at = 1 + random.nextInt(400); at < length; at += 1 + random.nextInt(400)) {
      cuts[n++] = at;
    }
    return Arrays.copyOf(cuts, n);
  }

  /** A chunk as Google writes it: the text, the cumulative counts, the model, the id. */
  private static String googleChunk(int i, boolean last) {
    return "{\"candidates\":[{\"content\":{\"parts\":[{\"text\":\" w"
        + i
        + "\"}],\"role\":\"model\"}"
        + (last ? ",\"finishReason\":\"STOP\"" : "")
        + ",\"index\":0}],\"usageMetadata\":{\"promptTokenCount\":14,\"candidatesTokenCount\":"
        + (i + 1)
        + ",\"totalTokenCount\":"
        + (15 + i)
        + "},\"modelVersion\":\"gemini-2.0-flash-001\",\"responseId\":\"mAitaLmkHPPlz7IPvtfUqQ4\"}";
  }

  /** Serves its bytes in the pieces between the given offsets, each in one read when it fits. */
  private static final class CutInputStream extends InputStream {
    private final byte[] data;
    private final int[] cuts;
    private int position;
    private int cut;

    CutInputStream(byte[] data, int[] cuts) {
      this.data = data;
      this.cuts = cuts;
    }

    @Override
    public int read(byte[] b, int off, int len) {
      if (len == 0) {
        return 0;
      }
      if (position == data.length) {
        return -1;
      }
      while (cut < cuts.length && cuts[cut] <= position) {
        cut++;
      }
      int pieceEnd = cut < cuts.length ? cuts[cut] : data.length;
      int n = Math.min(len, pieceEnd - position);
      System.arraycopy(data, position, b, off, n);
      position += n;
      return n;
    }

    @Override
    public int read() {
      byte[] one = new byte[1];
      return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
    }
  }
}
