import { useEffect, useRef } from "react";
import * as echarts from "echarts/core";
import { BarChart, CustomChart, LineChart } from "echarts/charts";
import { GridComponent, LegendComponent, MarkLineComponent, TooltipComponent } from "echarts/components";
import { SVGRenderer } from "echarts/renderers";
import type { EChartsCoreOption } from "echarts/core";
import "./EChart.css";

echarts.use([BarChart, CustomChart, LineChart, GridComponent, LegendComponent, MarkLineComponent, TooltipComponent, SVGRenderer]);

/**
 * One echarts chart (SVG) in a div that follows its container's size; the label is what a screen reader hears. The
 * option should be memoised by the caller: a new option draws the chart again.
 */
export function EChart({ option, label, height = 280, className }: { option: EChartsCoreOption; label: string; height?: number; className?: string }) {
  const element = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (!element.current) return;
    const chart = echarts.init(element.current, undefined, { renderer: "svg" });
    chart.setOption(option);
    const observer = new ResizeObserver(() => chart.resize());
    observer.observe(element.current);
    return () => {
      observer.disconnect();
      chart.dispose();
    };
  }, [option]);
  return <div ref={element} className={className ? `echart ${className}` : "echart"} role="img" aria-label={label} style={{ height }} />;
}

/** A horizontal whisker from lower to upper with a dot at the estimate, on category row y (a forest plot's row). */
export function whiskers(rows: { name: string; value: number; lower: number; upper: number }[], color: string, horizontal: boolean) {
  return {
    type: "custom",
    name: "interval",
    data: rows.map((row, index) => [index, row.value, row.lower, row.upper]),
    renderItem: (_params: unknown, api: { value: (i: number) => number; coord: (p: number[]) => number[] }) => {
      const index = api.value(0);
      const point = (v: number) => (horizontal ? api.coord([v, index]) : api.coord([index, v]));
      const [lo, hi, mid] = [point(api.value(2)), point(api.value(3)), point(api.value(1))];
      const cap = 6;
      const capLine = (p: number[]) => horizontal
        ? { x1: p[0], y1: p[1] - cap, x2: p[0], y2: p[1] + cap }
        : { x1: p[0] - cap, y1: p[1], x2: p[0] + cap, y2: p[1] };
      return {
        type: "group",
        children: [
          { type: "line", shape: { x1: lo[0], y1: lo[1], x2: hi[0], y2: hi[1] }, style: { stroke: color, lineWidth: 2 } },
          { type: "line", shape: capLine(lo), style: { stroke: color, lineWidth: 2 } },
          { type: "line", shape: capLine(hi), style: { stroke: color, lineWidth: 2 } },
          ...(horizontal ? [{ type: "circle", shape: { cx: mid[0], cy: mid[1], r: 6 }, style: { fill: color } }] : []),
        ],
      };
    },
    z: 10,
  };
}
