package dev.aigateway.redis;

import io.lettuce.core.RedisNoScriptException;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.api.sync.RedisCommands;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * A Lua script run by its SHA-1 ({@code EVALSHA}), sent whole ({@code EVAL}, which also caches it)
 * only when Redis does not know it yet: after a restart or a {@code SCRIPT FLUSH}.
 */
final class LuaScript {

  private final byte[] source;
  private final String sha;
  private final ScriptOutputType output;

  LuaScript(String source, ScriptOutputType output) {
    this.source = source.getBytes(StandardCharsets.UTF_8);
    this.output = output;
    try {
      this.sha = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-1").digest(this.source));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every Java runtime has SHA-1", e);
    }
  }

  /** Runs the script with binary keys and arguments. */
  <T> T run(RedisCommands<byte[], byte[]> redis, byte[][] keys, byte[]... args) {
    try {
      return redis.evalsha(sha, output, keys, args);
    } catch (RedisNoScriptException e) {
      return redis.eval(source, output, keys, args);
    }
  }

  /** A number as a script argument. */
  static byte[] arg(long n) {
    return Long.toString(n).getBytes(StandardCharsets.US_ASCII);
  }

  /** A string as a script argument or key. */
  static byte[] arg(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }
}
