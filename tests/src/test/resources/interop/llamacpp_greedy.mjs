// Opens a GGUF file with llama.cpp (through the npm package node-llama-cpp, CPU only) and prints, as one JSON
// object on stdout: llama.cpp's greedy pick at each of STEPS steps after the prompt, and llama.cpp's own token
// ids for each text.
//
//   node llamacpp_greedy.mjs MODEL.gguf STEPS PROMPT_IDS [TEXTS.json [FORCED_IDS]]
//
// PROMPT_IDS and FORCED_IDS are comma lists. With FORCED_IDS, the token fed after step i is FORCED_IDS[i], not
// llama.cpp's own pick (teacher forcing), so every step is compared on the same prefix. TEXTS.json: a JSON array
// of strings, tokenized without BOS. node-llama-cpp must be installed beside this script (ES modules do not
// read NODE_PATH).
import {getLlama} from "node-llama-cpp";
import {readFileSync} from "node:fs";

const [modelPath, stepsArg, promptArg, textsPath, forcedArg] = process.argv.slice(2);
const steps = Number(stepsArg);
const prompt = promptArg.split(",").map(Number);
const forced = forcedArg ? forcedArg.split(",").map(Number) : null;

const llama = await getLlama({gpu: false, logLevel: "error"});
const model = await llama.loadModel({modelPath});
// keys and values kept in float32 (llama.cpp's default is F16, which rounds them), no flash attention
const context = await model.createContext({contextSize: prompt.length + steps + 1, batchSize: 64, threads: 2, flashAttention: false,
    experimentalKvCacheKeyType: "F32", experimentalKvCacheValueType: "F32"});
const sequence = context.getSequence();
const greedy = [];
// temperature 0: the argmax of the logits; no repetition penalty, no grammar; EOS is a token like any other
const steps_ = sequence.evaluate(prompt, {temperature: 0, yieldEogToken: true});
let step = await steps_.next();
while (!step.done) {
    greedy.push(Number(step.value));
    if (greedy.length === steps) break;
    step = await steps_.next(forced ? forced[greedy.length - 1] : undefined);
}
await steps_.return();
const tokenized = [];
if (textsPath) {
    for (const text of JSON.parse(readFileSync(textsPath, "utf8"))) tokenized.push(model.tokenize(text, false).map(Number));
}
console.log(JSON.stringify({greedy, tokenized}));
await context.dispose();
await model.dispose();
