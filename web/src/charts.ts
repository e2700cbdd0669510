// ECharts, tree-shaken to what the console draws (bar and line charts on canvas).
import * as echarts from 'echarts/core';
import { BarChart, LineChart } from 'echarts/charts';
import { GridComponent, TooltipComponent, LegendComponent } from 'echarts/components';
import { CanvasRenderer } from 'echarts/renderers';

echarts.use([BarChart, LineChart, GridComponent, TooltipComponent, LegendComponent, CanvasRenderer]);

export { echarts };

// Stacked horizontal bars: one bar per category label, one series per stack key.
export function stackedBars(el: HTMLElement, labels: string[], series: { name: string; color: string; data: number[] }[]): echarts.ECharts {
  const chart = echarts.getInstanceByDom(el) ?? echarts.init(el, undefined, { renderer: 'canvas' });
  chart.setOption({
    animation: false,
    tooltip: { trigger: 'axis', axisPointer: { type: 'shadow' } },
    legend: { show: false },
    grid: { left: 8, right: 16, top: 8, bottom: 8, containLabel: true },
    xAxis: { type: 'value', minInterval: 1 },
    yAxis: { type: 'category', data: labels, inverse: true, axisLabel: { fontSize: 11 } },
    series: series.map((s) => ({ type: 'bar', stack: 'all', name: s.name, data: s.data, itemStyle: { color: s.color }, barMaxWidth: 14 })),
  }, true);
  return chart;
}
