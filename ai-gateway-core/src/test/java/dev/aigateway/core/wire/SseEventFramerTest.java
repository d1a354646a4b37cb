package dev.aigateway.core.wire;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The one SSE event framer: events, line ends, reads cut anywhere, the bound, the stream's end. */
class SseEventFramerTest {

  /** Records what the framer hands on, and every byte it hands on, in order. */
  private static final class Recorder extends SseEventFramer {
    final List<String> events = new ArrayList<>();
    final List<String> data = new ArrayList<>();
    final List<String> oversized = new ArrayList<>();
    final List<String> separators = new ArrayList<>();
    final ByteArrayOutputStream all = new ByteArrayOutputStream();
    int offered;
    int wait;

    Recorder(int maxEventBytes) {
      super(maxEventBytes);
    }

    @Override
    protected void event(
        byte[] buffer, int start, int end, int dataLines, int dataFrom, int dataTo) {
      events.add(new String(buffer, start, end - start, UTF_8));
      SseEventFramer.Data joined = SseEventFramer.dataOf(buffer, start, end);
      if (dataLines == 0) {
        assertThat(joined).isNull();
        data.add(null);
      } else {
        String value =
            new String(joined.bytes(), joined.from(), joined.to() - joined.from(), UTF_8);
        if (dataLines == 1) {
          // the one data line found in place, as the joined data says
          assertThat(new String(buffer, dataFrom, dataTo - dataFrom, UTF_8)).isEqualTo(value);
        } else {
          assertThat(value.split("\n", -1)).hasSizeGreaterThanOrEqualTo(dataLines);
        }
        data.add(value);
      }
      all.write(buffer, start, end - start);
    }

    @Override
    protected void oversized(byte[] buffer, int from, int to) {
      oversized.add(new String(buffer, from, to - from, UTF_8));
      all.write(buffer, from, to - from);
    }

    @Override
    protected void separator(byte[] buffer, int from, int to, boolean ofEvent) {
      separators.add((ofEvent ? "event:" : "") + new String(buffer, from, to - from, UTF_8));
      all.write(buffer, from, to - from);
    }

    @Override
    protected int eventAt(byte[] buffer, int start, int length) {
      offered++;
      return wait-- > 0 ? SseEventFramer.WAIT : SseEventFramer.UNREAD;
    }
  }

  private static Recorder frame(String stream, int... cuts) {
    return frameBounded(stream, Integer.MAX_VALUE, cuts);
  }

  /** Frames {@code stream} in reads cut at {@code cuts}, then ends it. */
  private static Recorder frameBounded(String stream, int maxEventBytes, int... cuts) {
    byte[] bytes = stream.getBytes(UTF_8);
    Recorder recorder = new Recorder(maxEventBytes);
    SseEventFramer framer = recorder;
    int from = 0;
    for (int cut : cuts) {
      framer.append(bytes, from, cut - from);
      from = cut;
    }
    framer.append(bytes, from, bytes.length - from);
    framer.end();
    assertThat(recorder.all.toByteArray())
        .as("every byte handed on once, in order")
        .isEqualTo(bytes);
    return recorder;
  }

  @Test
  void eventsEndAtTheirEmptyLineWhicheverWayTheirLinesEnd() {
    Recorder r =
        frame(
            "data: lf\n\n"
                + "event: e\r\ndata: crlf\r\n\r\n"
                + "data: cr\r\r"
                + "data: a\rdata: b\r\ndata: c\n\n");

    assertThat(r.events)
        .containsExactly(
            "data: lf\n\n",
            "event: e\r\ndata: crlf\r\n\r",
            "data: cr\r\r",
            "data: a\rdata: b\r\ndata: c\n\n");
    assertThat(r.data).containsExactly("lf", "crlf", "cr", "a\nb\nc");
    // The line feed after the carriage return that ended an event belongs to that event's end.
    assertThat(r.separators).containsExactly("event:\n");
  }

  @Test
  void eventsAreTheSameBytesWhereverTheReadsAreCut() {
    String stream =
        ": comment\n\n"
            + "event: x\r\ndata: {\"b\":2}\r\n\r\n"
            + "\r\n"
            + "data: {\"c\":3}\r\r"
            + "data:\n\n"
            + "data\r\n\r\n"
            + "id: 7\ndata: {\"d\":\"ü\"}\ndata: more\n\n"
            + "data: last";
    Recorder whole = frame(stream);
    assertThat(whole.events)
        .containsExactly(
            ": comment\n\n",
            "event: x\r\ndata: {\"b\":2}\r\n\r",
            "data: {\"c\":3}\r\r",
            "data:\n\n",
            "data\r\n\r",
            "id: 7\ndata: {\"d\":\"ü\"}\ndata: more\n\n",
            "data: last");
    assertThat(whole.data)
        .containsExactly(null, "{\"b\":2}", "{\"c\":3}", "", "", "{\"d\":\"ü\"}\nmore", "last");
    assertThat(whole.separators).containsExactly("event:\n", "\r", "\n", "event:\n");

    int length = stream.getBytes(UTF_8).length;
    for (int cut = 1; cut < length; cut++) {
      Recorder r = frame(stream, cut);
      assertThat(r.events).as("cut at %d", cut).isEqualTo(whole.events);
      assertThat(r.data).as("cut at %d", cut).isEqualTo(whole.data);
      assertThat(r.separators).as("cut at %d", cut).isEqualTo(whole.separators);
    }
    for (int a = 1; a < length; a++) {
      for (int b = a; b < length; b++) {
        assertThat(frame(stream, a, b).events).as("cut at %d, %d", a, b).isEqualTo(whole.events);
      }
    }
    byte[] bytes = stream.getBytes(UTF_8);
    Recorder r = new Recorder(1 << 20);
    SseEventFramer framer = r;
    for (byte b : bytes) {
      framer.append(new byte[] {b}, 0, 1); // a byte a read
    }
    framer.end();
    assertThat(r.events).isEqualTo(whole.events);
  }

  @Test
  void anEventIsHandedOnAsItsEmptyLineArrivesNotWhenMoreComes() {
    byte[] first = "data: 1\n\ndata: 2\r\r".getBytes(UTF_8);
    Recorder r = new Recorder(1024);
    SseEventFramer framer = r;

    framer.append(first, 0, first.length);

    assertThat(r.events).containsExactly("data: 1\n\n", "data: 2\r\r");
  }

  @Test
  void aLastEventWithoutItsEmptyLineIsHandedOnAtTheEnd() {
    assertThat(frame("data: a\n\ndata: b\n").events).containsExactly("data: a\n\n", "data: b\n");
    assertThat(frame("data: a\n\ndata: b").data).containsExactly("a", "b");
    assertThat(frame("data: a\n\n: only a comment").data).containsExactly("a", null);
    assertThat(frame("data: a\r").events).containsExactly("data: a\r");
    assertThat(frame("").events).isEmpty();
  }

  @Test
  void anEventLargerThanTheBoundPassesUntouchedAsItComesAndTheNextIsReadAgain() {
    String big = "data: " + "x".repeat(100) + "\ndata: " + "y".repeat(50) + "\r\n\r\n";
    String stream = "data: small\n\n" + big + "data: after\n\n";
    int length = stream.getBytes(UTF_8).length;

    for (int cut = 1; cut < length; cut++) {
      Recorder r = frameBounded(stream, 64, cut);
      assertThat(r.data).as("cut at %d", cut).containsExactly("small", "after");
      // the line feed after the carriage return that ended it follows it between events
      assertThat(String.join("", r.oversized) + "\n").as("cut at %d", cut).isEqualTo(big);
      assertThat(r.separators).as("cut at %d", cut).containsExactly("\n");
    }
  }

  @Test
  void anOversizedEventEndsOnlyAtAnEmptyLineNotAtALineEndingThatSplitsAcrossReads() {
    // The line in flight was passed on when the event grew past the bound; its own line ending
    // arriving as the first byte of a read is not an empty line.
    String big = "data: " + "x".repeat(40);
    String stream = big + "\ndata: tail\n\ndata: after\n\n";

    Recorder r = frameBounded(stream, 16, big.length());

    assertThat(String.join("", r.oversized)).isEqualTo(big + "\ndata: tail\n\n");
    assertThat(r.data).containsExactly("after");
  }

  @Test
  void anOversizedEventTheStreamEndsInIsPassedOnWhole() {
    String stream = "data: ok\n\ndata: " + "z".repeat(100);

    Recorder r = frameBounded(stream, 32, 12, 40);

    assertThat(r.data).containsExactly("ok");
    assertThat(String.join("", r.oversized)).isEqualTo("data: " + "z".repeat(100));
  }

  @Test
  void whatTheFramerHoldsIsBoundedByTheBoundAndTheReadWhateverTheEventSize() {
    Recorder r = new Recorder(4096);
    SseEventFramer framer = r;
    byte[] read = new byte[1000];
    Arrays.fill(read, (byte) 'q');
    System.arraycopy("data: ".getBytes(UTF_8), 0, read, 0, 6);
    framer.append(read, 0, read.length);
    Arrays.fill(read, 0, 6, (byte) 'q');
    for (int i = 0; i < 10_000; i++) { // a 10 MB line
      framer.append(read, 0, read.length);
    }
    framer.append("\n\ndata: next\n\n".getBytes(UTF_8), 0, 14);

    assertThat(framer.capacity()).isLessThanOrEqualTo(2 * (4096 + 1000));
    assertThat(r.data).containsExactly("next");
    assertThat(r.oversized.stream().mapToInt(String::length).sum()).isEqualTo(10_001 * 1000 + 2);
  }

  @Test
  void aReaderMayReadStraightIntoTheBufferAfterCompacting() {
    byte[] stream = "data: 1\n\ndata: 2\n\ndata: 3\n\n".getBytes(UTF_8);
    Recorder r = new Recorder(1024);
    SseEventFramer framer = r;
    int at = 0;
    while (at < stream.length) {
      framer.compact(1);
      int n = Math.min(5, Math.min(stream.length - at, framer.buffer().length - framer.length()));
      System.arraycopy(stream, at, framer.buffer(), framer.length(), n);
      framer.appended(n);
      at += n;
    }
    framer.end();

    assertThat(r.data).containsExactly("1", "2", "3");
    assertThatThrownBy(() -> framer.appended(framer.buffer().length + 1))
        .isInstanceOf(IndexOutOfBoundsException.class);
  }

  @Test
  void eachEventIsOfferedOnceUnlessTheReaderWaitsForMoreBytes() {
    String stream = "data: 1\n\ndata: 2\n\n";
    Recorder once = frame(stream);
    assertThat(once.offered).isEqualTo(2);

    byte[] bytes = stream.getBytes(UTF_8);
    Recorder waiting = new Recorder(1024);
    waiting.wait = 2;
    SseEventFramer framer = waiting;
    framer.append(bytes, 0, 3);
    framer.append(bytes, 3, 3);
    framer.append(bytes, 6, bytes.length - 6);
    // offered at 3 bytes (waits), at 6 (waits), then with all in (not read); then the second
    assertThat(waiting.offered).isEqualTo(4);
    assertThat(waiting.data).containsExactly("1", "2");
  }

  @Test
  void anEventAReaderHandlesAtItsStartIsNotFramedAgain() {
    byte[] stream = "data: fast\n\ndata: slow\n\n".getBytes(UTF_8);
    List<String> framed = new ArrayList<>();
    SseEventFramer framer =
        new SseEventFramer(1024) {
          @Override
          protected void event(byte[] b, int start, int end, int lines, int from, int to) {
            framed.add(new String(b, from, to - from, UTF_8));
          }

          @Override
          protected void oversized(byte[] b, int from, int to) {}

          @Override
          protected void separator(byte[] b, int from, int to, boolean ofEvent) {}

          @Override
          protected int eventAt(byte[] b, int start, int length) {
            return b[start + 6] == 'f' ? start + 12 : SseEventFramer.UNREAD;
          }
        };

    framer.append(stream, 0, stream.length);

    assertThat(framed).containsExactly("slow");
  }

  @ParameterizedTest
  @ValueSource(strings = {"data: x", "data:x", "data", "data:"})
  void dataLinesAreFoundWithOrWithoutTheirSpaceOrColon(String line) {
    byte[] bytes = line.getBytes(UTF_8);
    int start = SseEventFramer.dataValueStart(bytes, 0, bytes.length);
    assertThat(new String(bytes, start, bytes.length - start, UTF_8))
        .isEqualTo(line.length() > 5 ? "x" : "");
  }

  @ParameterizedTest
  @ValueSource(strings = {"dat: x", "datax: 1", "event: data", ": data", " data: x", ""})
  void otherLinesAreNotDataLines(String line) {
    byte[] bytes = line.getBytes(UTF_8);
    assertThat(SseEventFramer.dataValueStart(bytes, 0, bytes.length)).isEqualTo(-1);
  }

  @Test
  void aFieldsValueIsFoundByItsName() {
    byte[] event = "id: 1\r\nevent:  two\r\nevents: no\ndata: {}\n\n".getBytes(UTF_8);
    byte[] name = "event".getBytes(UTF_8);
    assertThat(SseEventFramer.fieldValue(event, 0, event.length, name)).isEqualTo(" two");
    byte[] none = "data: {}\n\n".getBytes(UTF_8);
    assertThat(SseEventFramer.fieldValue(none, 0, none.length, name)).isNull();
  }

  @Test
  void aRandomStreamFramesTheSameInAnyReads() {
    SplittableRandom random = new SplittableRandom(11);
    String[] pieces = {"data: a", "data:", "event: e", ": c", "id: 1", "x", "\n", "\r", "\r\n"};
    for (int round = 0; round < 300; round++) {
      StringBuilder stream = new StringBuilder();
      for (int i = random.nextInt(30); i > 0; i--) {
        stream.append(pieces[random.nextInt(pieces.length)]);
      }
      String text = stream.toString();
      Recorder whole = frameBounded(text, 12);
      for (int trial = 0; trial < 10 && text.length() > 1; trial++) {
        int a = 1 + random.nextInt(text.length() - 1);
        int b = a + random.nextInt(text.length() - a);
        Recorder r = frameBounded(text, 12, a, b);
        assertThat(r.events).as("%s cut at %d, %d", text, a, b).isEqualTo(whole.events);
        assertThat(r.oversized.stream().reduce("", String::concat))
            .isEqualTo(whole.oversized.stream().reduce("", String::concat));
      }
    }
  }

  /**
   * Bytes framed where a reader read them (after a copy of what the framer held) give the same
   * events, oversized bytes and separators as the same bytes appended, whatever the reads, and
   * whether or not the reader appends some reads instead; the framer holds only the start of the
   * event in flight.
   */
  @Test
  void bytesFramedInPlaceFrameAsIfAppended() {
    SplittableRandom random = new SplittableRandom(12);
    String[] pieces = {"data: a", "data:", "event: e", ": c", "id: 1", "x", "\n", "\r", "\r\n"};
    for (int round = 0; round < 500; round++) {
      StringBuilder stream = new StringBuilder();
      for (int i = random.nextInt(40); i > 0; i--) {
        stream.append(pieces[random.nextInt(pieces.length)]);
      }
      byte[] bytes = stream.toString().getBytes(UTF_8);
      Recorder whole = frameBounded(stream.toString(), 12);
      Recorder r = new Recorder(12);
      SseEventFramer framer = r;
      byte[] array = new byte[64];
      int at = 0;
      while (at < bytes.length) {
        int n = Math.min(bytes.length - at, 1 + random.nextInt(20));
        if (random.nextInt(4) == 0) {
          framer.append(bytes, at, n);
        } else {
          int off = random.nextInt(8);
          int held = framer.held();
          framer.copyHeld(array, off);
          System.arraycopy(bytes, at, array, off + held, n);
          framer.frameInPlace(array, off, off + held + n);
          Arrays.fill(array, (byte) '?'); // offsets into the array are void once it returned
        }
        at += n;
        assertThat(framer.held()).isLessThanOrEqualTo(12);
      }
      framer.end();
      String as = stream.toString();
      assertThat(r.all.toByteArray()).as(as).isEqualTo(bytes);
      assertThat(r.events).as(as).isEqualTo(whole.events);
      assertThat(r.data).as(as).isEqualTo(whole.data);
      assertThat(r.separators).as(as).isEqualTo(whole.separators);
      assertThat(r.oversized.stream().reduce("", String::concat))
          .as(as)
          .isEqualTo(whole.oversized.stream().reduce("", String::concat));
    }
  }

  /**
   * A reader that offers itself the first event of bytes read in place while the framer is at rest
   * ({@link SseEventFramer#frameInPlaceOffered}) gets the same events, separators and offers as
   * when the framer offers every event: an event it left unread is not offered twice, one it waits
   * on is offered again once more bytes came.
   */
  @Test
  void bytesOfferedBeforeFramingFrameAsIfTheFramerOfferedThem() {
    SplittableRandom random = new SplittableRandom(21);
    String[] pieces = {"data: a", "data:", "event: e", ": c", "x", "\n", "\n\n", "\r", "\r\n"};
    for (int round = 0; round < 500; round++) {
      StringBuilder stream = new StringBuilder();
      for (int i = random.nextInt(40); i > 0; i--) {
        stream.append(pieces[random.nextInt(pieces.length)]);
      }
      byte[] bytes = stream.toString().getBytes(UTF_8);
      Recorder framed = new Recorder(64);
      Recorder offered = new Recorder(64);
      int waits = random.nextInt(3);
      framed.wait = waits;
      offered.wait = waits;
      byte[] array = new byte[256];
      int at = 0;
      while (at < bytes.length) {
        int n = Math.min(bytes.length - at, 1 + random.nextInt(20));
        for (Recorder r : new Recorder[] {framed, offered}) {
          int held = r.held();
          r.copyHeld(array, 0);
          System.arraycopy(bytes, at, array, held, n);
          if (r == offered && held == 0 && r.atRest()) {
            int next = r.eventAt(array, 0, n);
            r.frameInPlaceOffered(array, 0, n, next, -1);
          } else {
            r.frameInPlace(array, 0, held + n);
          }
        }
        at += n;
      }
      framed.end();
      offered.end();
      String as = stream.toString();
      assertThat(offered.all.toByteArray()).as(as).isEqualTo(bytes);
      assertThat(offered.events).as(as).isEqualTo(framed.events);
      assertThat(offered.separators).as(as).isEqualTo(framed.separators);
      assertThat(offered.offered).as(as).isEqualTo(framed.offered);
    }
    Recorder busy = new Recorder(64);
    busy.append("data: 1".getBytes(UTF_8), 0, 7);
    assertThat(busy.atRest()).isFalse();
    assertThatThrownBy(() -> busy.frameInPlaceOffered(new byte[4], 0, 4, SseEventFramer.UNREAD, -1))
        .isInstanceOf(IllegalStateException.class);
  }

  @Test
  void aBoundBelowOneIsRefused() {
    assertThatThrownBy(() -> new Recorder(0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("maxEventBytes");
  }
}
