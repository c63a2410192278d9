// ECharts, imported piece by piece so the bundle only carries what the dashboard draws.
import * as echarts from 'echarts/core';
import { BarChart, HeatmapChart, LineChart, PieChart } from 'echarts/charts';
import { AriaComponent, GridComponent, LegendComponent, TooltipComponent, VisualMapContinuousComponent } from 'echarts/components';
import { SVGRenderer } from 'echarts/renderers';
import type { EChartsCoreOption } from 'echarts/core';

import { WEEKDAYS, type CostBreakdown } from './aggregate.ts';
import { durationAxis, escapeHtml, formatDuration, formatInt, formatUsd } from './format.ts';
import type { MttrRow, PredictionRow, TrendPoint } from './types.ts';

echarts.use([BarChart, LineChart, PieChart, HeatmapChart, GridComponent, TooltipComponent, LegendComponent, VisualMapContinuousComponent, AriaComponent, SVGRenderer]);

const FONT = 'system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif';
export const COLORS = {
  primary: '#3b6fd4',
  failure: '#d0455b',
  teal: '#2a9d8f',
  amber: '#e0a23a',
  violet: '#7a5cc7',
  grey: '#9aa5b1',
  axis: '#52606d',
  grid: '#e4e7eb',
};
const SERIES_PALETTE = [COLORS.primary, COLORS.teal, COLORS.amber, COLORS.violet, COLORS.failure, '#4f9bd9'];

function base(option: EChartsCoreOption): EChartsCoreOption {
  const defaults = {
    animationDuration: 300,
    color: SERIES_PALETTE,
    textStyle: { fontFamily: FONT, color: COLORS.axis },
    aria: { enabled: true },
  };
  // Options with media queries (`{baseOption, media}`) take the defaults in their base.
  if ('baseOption' in option) return { ...option, baseOption: { ...defaults, ...(option.baseOption as object) } };
  return { ...defaults, ...option };
}

/** One chart container: created lazily, resized with its box, disposed when hidden. */
export class ChartHost {
  private chart: echarts.ECharts | null = null;
  private readonly observer: ResizeObserver;

  constructor(private readonly el: HTMLElement) {
    this.observer = new ResizeObserver(() => this.chart?.resize());
    this.observer.observe(el);
  }

  show(option: EChartsCoreOption): void {
    this.el.hidden = false;
    if (!this.chart) this.chart = echarts.init(this.el, undefined, { renderer: 'svg' });
    this.chart.setOption(base(option), { notMerge: true });
    this.chart.resize();
  }

  hide(): void {
    this.el.hidden = true;
    this.chart?.dispose();
    this.chart = null;
  }
}

const axisLine = { lineStyle: { color: COLORS.grid } };
const splitLine = { lineStyle: { color: COLORS.grid } };

export function trendsOption(points: TrendPoint[]): EChartsCoreOption {
  const labels = points.map((p) => p.bucket_start.slice(0, 10));
  return {
    grid: { left: 8, right: 16, top: 40, bottom: 8, containLabel: true },
    legend: { top: 0, left: 0, icon: 'roundRect', itemWidth: 12, itemHeight: 8 },
    tooltip: { trigger: 'axis', axisPointer: { type: 'shadow' } },
    xAxis: { type: 'category', data: labels, axisLine, axisTick: { show: false }, axisLabel: { hideOverlap: true } },
    yAxis: { type: 'value', minInterval: 1, splitLine },
    series: [
      { name: 'Workflows', type: 'bar', data: points.map((p) => p.workflows), itemStyle: { color: '#b9cdf3', borderRadius: [3, 3, 0, 0] }, barMaxWidth: 28 },
      {
        name: 'Failed',
        type: 'bar',
        data: points.map((p) => p.failed_workflows),
        itemStyle: { color: COLORS.failure, borderRadius: [3, 3, 0, 0] },
        barGap: '-100%',
        barMaxWidth: 28,
      },
    ],
  };
}

export function mttrOption(rows: MttrRow[], multiTenant: boolean): EChartsCoreOption {
  const shown = rows
    .filter((r) => r.mttr_median_seconds != null || r.mttr_p95_seconds != null)
    .sort((a, b) => (b.mttr_p95_seconds ?? 0) - (a.mttr_p95_seconds ?? 0))
    .slice(0, 12)
    .reverse(); // horizontal bars draw bottom-up: longest on top
  const label = (r: MttrRow) => (multiTenant ? `${r.service ?? '?'} · ${r.tenant_id}` : (r.service ?? '?'));
  const axis = durationAxis(Math.max(0, ...shown.map((r) => Math.max(r.mttr_median_seconds ?? 0, r.mttr_p95_seconds ?? 0))));
  return {
    grid: { left: 8, right: 24, top: 40, bottom: 8, containLabel: true },
    legend: { top: 0, left: 0, icon: 'roundRect', itemWidth: 12, itemHeight: 8 },
    tooltip: {
      trigger: 'axis',
      axisPointer: { type: 'shadow' },
      formatter: (params: unknown) => {
        const list = params as Array<{ axisValueLabel: string; seriesName: string; value: number | null; marker: string }>;
        const head = `<strong>${escapeHtml(list[0]?.axisValueLabel ?? '')}</strong>`;
        return [head, ...list.map((p) => `${p.marker}${escapeHtml(p.seriesName)}: ${formatDuration(p.value)}`)].join('<br>');
      },
    },
    xAxis: {
      type: 'value',
      splitLine,
      min: 0,
      // End on a whole tick, so the last label is "12h" and not the data's maximum.
      max: (extent: { max: number }) => Math.max(1, Math.ceil(extent.max / axis.interval)) * axis.interval,
      interval: axis.interval,
      axisLabel: { formatter: axis.formatter, hideOverlap: true },
    },
    yAxis: { type: 'category', data: shown.map(label), axisLine, axisTick: { show: false }, axisLabel: { width: 140, overflow: 'truncate' } },
    series: [
      { name: 'Median', type: 'bar', data: shown.map((r) => r.mttr_median_seconds), itemStyle: { color: COLORS.primary, borderRadius: [0, 3, 3, 0] }, barMaxWidth: 14 },
      { name: 'p95', type: 'bar', data: shown.map((r) => r.mttr_p95_seconds), itemStyle: { color: '#b9cdf3', borderRadius: [0, 3, 3, 0] }, barMaxWidth: 14 },
    ],
  };
}

export function costOption(costs: CostBreakdown): EChartsCoreOption {
  const data = [
    { name: 'Workflow runs', value: costs.workflow, itemStyle: { color: COLORS.primary } },
    { name: 'Monitoring', value: costs.monitoring, itemStyle: { color: COLORS.teal } },
    { name: 'Predictions', value: costs.prediction, itemStyle: { color: COLORS.amber } },
  ];
  const amount = new Map(data.map((d) => [d.name, d.value]));
  return {
    baseOption: {
      legend: { bottom: 0, left: 'center', icon: 'circle', itemWidth: 8, itemHeight: 8, formatter: '{name}' },
      tooltip: {
        trigger: 'item',
        confine: true,
        formatter: (p: unknown) => {
          const item = p as { marker: string; name: string; value: number; percent: number };
          return `${item.marker}${escapeHtml(item.name)}: ${formatUsd(item.value)} (${item.percent.toFixed(1)} %)`;
        },
      },
      series: [
        {
          name: 'Cost',
          type: 'pie',
          radius: ['48%', '72%'],
          center: ['50%', '45%'],
          avoidLabelOverlap: true,
          itemStyle: { borderColor: '#fff', borderWidth: 2 },
          label: { show: true, formatter: (p: { name: string; value: number }) => `${p.name}\n${formatUsd(p.value)}`, color: COLORS.axis, lineHeight: 16 },
          labelLine: { show: true },
          data,
        },
      ],
    },
    media: [
      {
        // Narrow cards (phones): outside labels would be cut off; amounts move into the legend.
        query: { maxWidth: 440 },
        option: {
          legend: { formatter: (name: string) => `${name} ${formatUsd(amount.get(name))}` },
          series: [{ radius: ['42%', '66%'], center: ['50%', '42%'], label: { show: false }, labelLine: { show: false } }],
        },
      },
    ],
  };
}

export function calibrationOption(rows: PredictionRow[]): EChartsCoreOption {
  const multiTenant = new Set(rows.map((r) => r.tenant_id)).size > 1;
  const modelSeries = rows
    .filter((r) => r.evaluated > 0)
    .slice(0, 6)
    .map((r) => ({
      name: multiTenant ? `${r.model} · ${r.tenant_id}` : r.model,
      type: 'line',
      symbolSize: 8,
      data: r.calibration
        .filter((b) => b.count > 0 && b.mean_predicted != null && b.observed_failure_rate != null)
        .map((b) => [b.mean_predicted, b.observed_failure_rate, b.count]),
    }));
  return {
    grid: { left: 8, right: 24, top: 40, bottom: 28, containLabel: true },
    legend: { top: 0, left: 0, type: 'scroll', icon: 'roundRect', itemWidth: 12, itemHeight: 8 },
    tooltip: {
      trigger: 'item',
      formatter: (p: unknown) => {
        const item = p as { marker: string; seriesName: string; value: [number, number, number?] };
        const [x, y, n] = item.value;
        const count = n == null ? '' : `<br>${formatInt(n)} predictions`;
        return `${item.marker}${escapeHtml(item.seriesName)}<br>predicted ${(x * 100).toFixed(1)} %, observed ${(y * 100).toFixed(1)} %${count}`;
      },
    },
    xAxis: { type: 'value', min: 0, max: 1, name: 'Mean predicted probability', nameLocation: 'middle', nameGap: 26, splitLine, axisLabel: { formatter: (v: number) => `${Math.round(v * 100)}%` } },
    yAxis: { type: 'value', min: 0, max: 1, name: 'Observed failure rate', nameLocation: 'middle', nameGap: 40, splitLine, axisLabel: { formatter: (v: number) => `${Math.round(v * 100)}%` } },
    series: [
      {
        name: 'Perfect calibration',
        type: 'line',
        data: [
          [0, 0],
          [1, 1],
        ],
        symbol: 'none',
        lineStyle: { type: 'dashed', color: COLORS.grey, width: 1 },
        itemStyle: { color: COLORS.grey },
        silent: true,
        tooltip: { show: false },
      },
      ...modelSeries,
    ],
  };
}

export function heatmapOption(grid: number[][]): EChartsCoreOption {
  const hours = Array.from({ length: 24 }, (_, h) => String(h).padStart(2, '0'));
  const data: Array<[number, number, number]> = [];
  let max = 0;
  grid.forEach((row, weekday) =>
    row.forEach((value, hour) => {
      data.push([hour, weekday, value]);
      if (value > max) max = value;
    }),
  );
  return {
    grid: { left: 8, right: 8, top: 8, bottom: 52, containLabel: true },
    tooltip: {
      trigger: 'item',
      formatter: (p: unknown) => {
        const [hour, weekday, value] = (p as { value: [number, number, number] }).value;
        return `${WEEKDAYS[weekday]} ${hours[hour]}:00–${hours[hour]}:59<br>${formatInt(value)} runs`;
      },
    },
    xAxis: { type: 'category', data: hours, splitArea: { show: false }, axisLine, axisTick: { show: false }, axisLabel: { interval: 2 } },
    yAxis: { type: 'category', data: [...WEEKDAYS], inverse: true, axisLine, axisTick: { show: false } },
    visualMap: {
      min: 0,
      max: Math.max(1, max),
      calculable: false,
      orient: 'horizontal',
      left: 'center',
      bottom: 0,
      itemHeight: 160,
      itemWidth: 10,
      text: ['more runs', 'fewer'],
      inRange: { color: ['#f1f5fd', '#b9cdf3', '#3b6fd4', '#1d3f86'] },
    },
    series: [
      {
        name: 'Runs',
        type: 'heatmap',
        data,
        itemStyle: { borderColor: '#fff', borderWidth: 1, borderRadius: 2 },
        emphasis: { itemStyle: { borderColor: COLORS.axis } },
      },
    ],
  };
}
