import { useEffect, useRef } from "react";
import * as echarts from "echarts/core";
import { BarChart, LineChart } from "echarts/charts";
import { GridComponent, LegendComponent, TooltipComponent } from "echarts/components";
import { SVGRenderer } from "echarts/renderers";

echarts.use([BarChart, LineChart, GridComponent, LegendComponent, TooltipComponent, SVGRenderer]);

/** One day of the chart: the messages sent that day and what became of them. */
export interface DayFigures {
  day: string;
  sent: number;
  delivered: number;
  opened: number;
  clicked: number;
  machineOpened: number;
}

/** Messages sent per day (bars) with the opens, clicks and machine opens of those messages (lines). */
export function PerformanceChart({ days, label }: { days: DayFigures[]; label: string }) {
  const element = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (!element.current) return;
    const chart = echarts.init(element.current, undefined, { renderer: "svg" });
    chart.setOption({
      animation: false,
      tooltip: { trigger: "axis" },
      legend: { top: 0 },
      grid: { left: 48, right: 16, top: 56, bottom: 28 },
      xAxis: { type: "category", data: days.map((d) => d.day) },
      yAxis: { type: "value", minInterval: 1 },
      series: [
        { name: "Sent", type: "bar", data: days.map((d) => d.sent), itemStyle: { color: "#9db4d0" } },
        { name: "Delivered", type: "line", data: days.map((d) => d.delivered), color: "#2f5f8a" },
        { name: "Opened", type: "line", data: days.map((d) => d.opened), color: "#1d7a46" },
        { name: "Clicked", type: "line", data: days.map((d) => d.clicked), color: "#b35c00" },
        { name: "Machine opens", type: "line", data: days.map((d) => d.machineOpened), color: "#777", lineStyle: { type: "dashed" } },
      ],
    });
    const resize = () => chart.resize();
    window.addEventListener("resize", resize);
    return () => {
      window.removeEventListener("resize", resize);
      chart.dispose();
    };
  }, [days]);
  return <div ref={element} className="performance-chart" role="img" aria-label={label} />;
}
