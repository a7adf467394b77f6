import { useMemo } from "react";
import { EChart } from "../../components/EChart";

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
  const option = useMemo(() => ({
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
  }), [days]);
  return <EChart option={option} label={label} height={280} />;
}
