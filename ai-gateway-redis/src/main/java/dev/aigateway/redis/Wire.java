package dev.aigateway.redis;

import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.jspecify.annotations.Nullable;

/**
 * The small binary writer and reader of the values this module keeps in Redis: big-endian numbers,
 * strings and byte arrays preceded by their length. A reader never trusts a length it reads: a
 * value that is cut short, too long or not UTF-8 fails with {@link Malformed}, which the stores
 * treat as a miss.
 *
 * <p>A string is its UTF-8 bytes preceded by their count; one that is not well-formed UTF-16 (an
 * unpaired surrogate, which UTF-8 cannot hold and an encoder replaces with '?') is written as
 * {@value #UTF16} and its UTF-16 code units preceded by their count instead, so that every string
 * reads back as it was written and two strings never read back alike.
 */
final class Wire {

  /** The length that marks a string written as UTF-16 code units (see the class comment). */
  static final int UTF16 = -2;

  private Wire() {}

  /**
   * Whether {@code s} is well-formed UTF-16: every surrogate is part of a pair, so UTF-8 holds it
   * exactly. An unpaired surrogate (from a JSON escape such as {@code "\\ud800"}, say) would be
   * replaced with '?' by every UTF-8 encoder, Redis clients' included.
   */
  static boolean wellFormed(String s) {
    return unpairedSurrogate(s) < 0;
  }

  /** The index of the first unpaired surrogate in {@code s}, or -1 when it is well-formed. */
  static int unpairedSurrogate(String s) {
    for (int i = 0, n = s.length(); i < n; i++) {
      char c = s.charAt(i);
      if (Character.isHighSurrogate(c)) {
        if (i + 1 >= n || !Character.isLowSurrogate(s.charAt(i + 1))) {
          return i;
        }
        i++;
      } else if (Character.isLowSurrogate(c)) {
        return i;
      }
    }
    return -1;
  }

  /**
   * Appends {@code s} as hex UTF-16 code units, four lowercase digits each: text made of {@code
   * [0-9a-f]} that holds any string exactly, for keys and fields a string that is not well-formed
   * cannot be written into as UTF-8.
   */
  static StringBuilder hexUtf16(StringBuilder to, String s) {
    for (int i = 0; i < s.length(); i++) {
      String unit = Integer.toHexString(s.charAt(i));
      to.append("0000", unit.length(), 4).append(unit);
    }
    return to;
  }

  /** The string {@link #hexUtf16} wrote, or null when {@code hex} is not such text. */
  static @Nullable String fromHexUtf16(String hex) {
    if (hex.length() % 4 != 0) {
      return null;
    }
    char[] chars = new char[hex.length() / 4];
    for (int i = 0; i < chars.length; i++) {
      int unit = 0;
      for (int j = 4 * i; j < 4 * i + 4; j++) {
        int digit = Character.digit(hex.charAt(j), 16);
        if (digit < 0) {
          return null;
        }
        unit = unit * 16 + digit;
      }
      chars[i] = (char) unit;
    }
    return new String(chars);
  }

  /**
   * How many bytes {@link Writer#string} writes for {@code s}, counted without encoding it: its
   * length and UTF-8 bytes, or, when it is not well-formed, the mark, its length and two bytes per
   * code unit.
   */
  static long stringBytes(String s) {
    if (!wellFormed(s)) {
      return 8 + 2L * s.length();
    }
    long bytes = 4;
    for (int i = 0, n = s.length(); i < n; i++) {
      char c = s.charAt(i);
      if (c < 0x80) {
        bytes += 1;
      } else if (c < 0x800) {
        bytes += 2;
      } else if (Character.isHighSurrogate(c)) {
        bytes += 4; // with its low surrogate, which wellFormed saw
        i++;
      } else {
        bytes += 3;
      }
    }
    return bytes;
  }

  /** How many bytes {@link Writer#nullableString} writes for {@code s}. */
  static long nullableStringBytes(@Nullable String s) {
    return s == null ? 4 : stringBytes(s);
  }

  /** A value that is not one this module wrote (cut short, foreign, another version). */
  static final class Malformed extends Exception {
    Malformed(String message) {
      super(message, null, false, false);
    }
  }

  /** Appends to a growing array. */
  static final class Writer {
    private byte[] buf;
    private int size;

    Writer(int capacity) {
      this.buf = new byte[Math.max(capacity, 16)];
    }

    private void room(int n) {
      if (size + n > buf.length) {
        buf = Arrays.copyOf(buf, Math.max(buf.length * 2, size + n));
      }
    }

    Writer u8(int v) {
      room(1);
      buf[size++] = (byte) v;
      return this;
    }

    Writer i32(int v) {
      room(4);
      buf[size++] = (byte) (v >>> 24);
      buf[size++] = (byte) (v >>> 16);
      buf[size++] = (byte) (v >>> 8);
      buf[size++] = (byte) v;
      return this;
    }

    Writer i64(long v) {
      i32((int) (v >>> 32));
      return i32((int) v);
    }

    Writer bytes(byte[] v) {
      i32(v.length);
      room(v.length);
      System.arraycopy(v, 0, buf, size, v.length);
      size += v.length;
      return this;
    }

    /**
     * Writes {@code v} as {@link #stringBytes} counts it: its UTF-8 bytes, encoded straight into
     * the buffer (no encoded copy on the way), after their count; or, when it is not well-formed,
     * the mark and its UTF-16 code units after their count.
     */
    Writer string(String v) {
      if (wellFormed(v)) {
        int n = Math.toIntExact(stringBytes(v) - 4);
        i32(n);
        room(n);
        for (int i = 0, length = v.length(); i < length; i++) {
          char c = v.charAt(i);
          if (c < 0x80) {
            buf[size++] = (byte) c;
          } else if (c < 0x800) {
            buf[size++] = (byte) (0xc0 | c >>> 6);
            buf[size++] = (byte) (0x80 | c & 0x3f);
          } else if (Character.isHighSurrogate(c)) {
            int cp = Character.toCodePoint(c, v.charAt(++i)); // paired: v is well-formed
            buf[size++] = (byte) (0xf0 | cp >>> 18);
            buf[size++] = (byte) (0x80 | cp >>> 12 & 0x3f);
            buf[size++] = (byte) (0x80 | cp >>> 6 & 0x3f);
            buf[size++] = (byte) (0x80 | cp & 0x3f);
          } else {
            buf[size++] = (byte) (0xe0 | c >>> 12);
            buf[size++] = (byte) (0x80 | c >>> 6 & 0x3f);
            buf[size++] = (byte) (0x80 | c & 0x3f);
          }
        }
        return this;
      }
      i32(UTF16);
      i32(v.length());
      room(2 * v.length());
      for (int i = 0; i < v.length(); i++) {
        char c = v.charAt(i);
        buf[size++] = (byte) (c >>> 8);
        buf[size++] = (byte) c;
      }
      return this;
    }

    /** A string that may be absent: length -1 stands for null. */
    Writer nullableString(@Nullable String v) {
      return v == null ? i32(-1) : string(v);
    }

    Writer floats(float[] v) {
      i32(v.length);
      room(4 * v.length);
      for (float f : v) {
        int bits = Float.floatToRawIntBits(f);
        buf[size++] = (byte) (bits >>> 24);
        buf[size++] = (byte) (bits >>> 16);
        buf[size++] = (byte) (bits >>> 8);
        buf[size++] = (byte) bits;
      }
      return this;
    }

    /** What was written; the buffer itself, not a copy, when it was made for exactly this. */
    byte[] toByteArray() {
      return size == buf.length ? buf : Arrays.copyOf(buf, size);
    }
  }

  /** Reads what a {@link Writer} wrote, checking every length against what is left. */
  static final class Reader {
    private final ByteBuffer in;

    Reader(byte[] value) {
      this.in = ByteBuffer.wrap(value);
    }

    int u8() throws Malformed {
      try {
        return in.get() & 0xff;
      } catch (BufferUnderflowException e) {
        throw new Malformed("cut short");
      }
    }

    int i32() throws Malformed {
      try {
        return in.getInt();
      } catch (BufferUnderflowException e) {
        throw new Malformed("cut short");
      }
    }

    long i64() throws Malformed {
      try {
        return in.getLong();
      } catch (BufferUnderflowException e) {
        throw new Malformed("cut short");
      }
    }

    private int length(int unit) throws Malformed {
      int n = i32();
      if (n < 0 || (long) n * unit > in.remaining()) {
        throw new Malformed("bad length " + n);
      }
      return n;
    }

    byte[] bytes() throws Malformed {
      byte[] v = new byte[length(1)];
      in.get(v);
      return v;
    }

    String string() throws Malformed {
      int mark = in.position();
      if (i32() == UTF16) {
        char[] chars = new char[length(2)];
        for (int i = 0; i < chars.length; i++) {
          chars[i] = in.getChar();
        }
        return new String(chars);
      }
      in.position(mark);
      try {
        return StandardCharsets.UTF_8
            .newDecoder()
            .onMalformedInput(CodingErrorAction.REPORT)
            .onUnmappableCharacter(CodingErrorAction.REPORT)
            .decode(ByteBuffer.wrap(bytes()))
            .toString();
      } catch (CharacterCodingException e) {
        throw new Malformed("not UTF-8");
      }
    }

    @Nullable String nullableString() throws Malformed {
      int mark = in.position();
      if (i32() == -1) {
        return null;
      }
      in.position(mark);
      return string();
    }

    float[] floats() throws Malformed {
      float[] v = new float[length(4)];
      for (int i = 0; i < v.length; i++) {
        v[i] = in.getFloat();
      }
      return v;
    }

    /** Fails unless every byte was read: trailing bytes mean a value of another layout. */
    void end() throws Malformed {
      if (in.hasRemaining()) {
        throw new Malformed(in.remaining() + " trailing bytes");
      }
    }
  }
}
