package io.piece4j.piece.lora;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** LoRA settings: the paper's defaults, target names, and one clear error for each bad value. */
class LoraSettingsTest {
    @Test
    void defaultsAreThePapersRank8Alpha32OnQueryAndValue() {
        LoraSettings s = LoraSettings.fromSettings(Map.of(), "lora");
        assertEquals(8, s.rank());
        assertEquals(32.0, s.alpha());
        assertEquals(List.of("attn.wq", "attn.wv"), s.modules());
        assertEquals(4f, s.scale());
    }

    @Test
    void shortAndFullTargetNamesAreAcceptedAndPutInLayoutOrder() {
        LoraSettings s = LoraSettings.fromSettings(Map.of("lora.rank", "2", "lora.alpha", "4", "lora.targets", "w_down, attn.wo,wq"), "lora");
        assertEquals(List.of("attn.wq", "attn.wo", "mlp.w_down"), s.modules());
        assertEquals(2f, s.scale());
    }

    private static String error(Map<String, String> settings) {
        return assertThrows(IllegalArgumentException.class, () -> LoraSettings.fromSettings(settings, "lora")).getMessage();
    }

    @Test
    void badValuesGetOneClearErrorEach() {
        String rank0 = error(Map.of("lora.rank", "0"));
        assertTrue(rank0.contains("lora.") && rank0.contains("rank 0") && rank0.contains(">= 1"), rank0);
        String rankText = error(Map.of("lora.rank", "eight"));
        assertTrue(rankText.contains("lora.rank=eight") && rankText.contains("integer"), rankText);
        String alpha = error(Map.of("lora.alpha", "-1"));
        assertTrue(alpha.contains("alpha -1") && alpha.contains("> 0"), alpha);
        String target = error(Map.of("lora.targets", "wq,wz"));
        assertTrue(target.contains("'wz'") && target.contains("wq, wk, wv, wo, w_gate, w_up, w_down"), target);
        String repeat = error(Map.of("lora.targets", "wq,attn.wq"));
        assertTrue(repeat.contains("repeat"), repeat);
        String empty = error(Map.of("lora.targets", " , "));
        assertTrue(empty.contains("empty"), empty);
        for (String m : List.of(rank0, rankText, alpha, target, repeat, empty)) assertEquals(1, m.lines().count(), "one line: " + m);
    }
}
