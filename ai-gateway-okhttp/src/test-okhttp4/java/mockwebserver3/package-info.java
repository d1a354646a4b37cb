/**
 * The part of OkHttp 5's {@code mockwebserver3} API that the adapter's tests use, re-implemented
 * over OkHttp 4.12's {@code okhttp3.mockwebserver}, so the same test sources run against OkHttp 4.12
 * (the {@code okhttp4} Maven profile). {@code mockwebserver3} 5.x itself needs OkHttp 5's internals,
 * so it cannot share a classpath with OkHttp 4.12. Test code only; never shipped.
 */
package mockwebserver3;
